/**
 * Defaults of `tapedeck serve` with why; the configuration schema (config-schema.ts) gives each its key,
 * meaning, variable and flag.
 */
export const DEFAULTS = {
	/** Loopback only until the operator decides otherwise: the API can write files on this machine. */
	host: '127.0.0.1',
	/** The HTTP API (Callaba-style, and the other dialects). */
	port: 8080,
	/** Job store, access token and, under `recordings/`, every recorded file. */
	dataDir: './data',
	/** How often an open recording is made durable (fdatasync): what a SIGKILL loses at most, about. */
	syncIntervalMs: 1000,
	/** Built-in protocol listeners (0 turns one off): the usual ports of each protocol. */
	rtmpPort: 1935,
	srtPort: 9710,
	rtspPort: 8554,
	/** Lifetime of the JWT printed at start-up and by `tapedeck token`, in days: the longest the server accepts by default. */
	tokenDays: 1,
} as const;

/** Environment variables that are not settings of the configuration file. */
export const ENV = {
	/** The server's access token (else `<data>/access-token`): a secret kept out of files that get shared. */
	accessToken: 'TAPEDECK_ACCESS_TOKEN',
	/** The configuration file (else `<data>/tapedeck.yaml`, `.yml` or `.json`, the first that exists). */
	config: 'TAPEDECK_CONFIG',
	/** The publish settings file of earlier versions (else `<data>/publish.json` when it exists). */
	publishConfig: 'TAPEDECK_PUBLISH_CONFIG',
} as const;

/** Publish authentication (see `publish-config.ts` and the README's "Security" → "Publishing"). */
export const PUBLISH_DEFAULTS = {
	/** An admission webhook that has not answered by then denies: a hung hook must not hold publishers. */
	webhookTimeoutMs: 3000,
} as const;
