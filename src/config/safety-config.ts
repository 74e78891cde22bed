/**
 * The API and listener safety settings of `tapedeck serve` (README "Security → API"): where the
 * listeners bind, what API clients may open, how long connections may idle, how large a request may
 * be, how long a token may live, and a secret per API dialect. Flags override the environment,
 * which overrides the defaults.
 */
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../core/connection-limits.ts';
import { TapedeckError } from '../core/errors.ts';
import { defaultNetworkPolicy, type NetworkPolicy, validatePullAllowEntry } from '../core/network-policy.ts';

export const SAFETY_DEFAULTS = {
	/** Request bodies above this are refused (413) while they arrive: jobs are small. */
	maxBodyBytes: 1024 * 1024,
	/** A Callaba JWT living longer than this (or without `exp`) is refused: a leaked token expires. */
	jwtMaxLifetimeSeconds: 86_400,
	/** HTTP pulls follow no redirect: a redirect may lead to a service the client cannot reach itself. */
	pullRedirects: 0,
	...DEFAULT_CONNECTION_LIMITS,
} as const;

/** Flag → environment variable, for every safety setting. Secrets have no flag (a command line is public). */
export const SAFETY_ENV = {
	'listen-host': 'TAPEDECK_LISTEN_HOST',
	'allow-listen': 'TAPEDECK_ALLOW_LISTEN',
	'pull-redirects': 'TAPEDECK_PULL_REDIRECTS',
	'pull-allow': 'TAPEDECK_PULL_ALLOW',
	'max-body-bytes': 'TAPEDECK_MAX_BODY_BYTES',
	'jwt-max-lifetime': 'TAPEDECK_JWT_MAX_LIFETIME',
	'handshake-timeout': 'TAPEDECK_HANDSHAKE_TIMEOUT_MS',
	'idle-timeout': 'TAPEDECK_IDLE_TIMEOUT_MS',
	'max-pending-per-source': 'TAPEDECK_MAX_PENDING_PER_SOURCE',
	'max-pending': 'TAPEDECK_MAX_PENDING',
} as const;

/** The secret of each API dialect; unset ones fall back to the access token. */
export const CREDENTIAL_ENV = {
	callaba: 'TAPEDECK_CALLABA_TOKEN',
	ome: 'TAPEDECK_OME_TOKEN',
	huawei: 'TAPEDECK_HUAWEI_TOKEN',
} as const;

type SafetyFlag = keyof typeof SAFETY_ENV;

/** The safety flags, for `parseArgs`. */
export const SAFETY_FLAGS = Object.fromEntries(
	Object.keys(SAFETY_ENV).map((flag) => [flag, { type: 'string' as const }]),
) as Record<SafetyFlag, { type: 'string' }>;

export type SafetyConfig = {
	/** Address of the built-in listeners, and of a job's own listeners that name none. */
	readonly listenHost: string;
	readonly network: NetworkPolicy;
	readonly connections: ConnectionLimits;
	readonly maxBodyBytes: number;
	readonly jwtMaxLifetimeSeconds: number;
	readonly credentials: { readonly [dialect in keyof typeof CREDENTIAL_ENV]?: string };
};

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the safety settings; `apiHost` is the API's address, the listeners' default. */
export const loadSafetyConfig = (
	values: Partial<Record<SafetyFlag, string>>,
	env: Env,
	apiHost: string,
): SafetyConfig => {
	const read = (flag: SafetyFlag): string | undefined => values[flag] ?? env[SAFETY_ENV[flag]];
	const count = (flag: SafetyFlag, fallback: number, min: number): number => {
		const text = read(flag);
		if (text === undefined) return fallback;
		const value = Number(text);
		if (text.trim() === '' || !Number.isSafeInteger(value) || value < min) {
			throw new TapedeckError(
				'invalid_argument',
				`--${flag} / ${SAFETY_ENV[flag]} must be an integer of at least ${min}, got "${text}"`,
			);
		}
		return value;
	};
	const list = (flag: SafetyFlag): string[] =>
		(read(flag) ?? '')
			.split(',')
			.map((entry) => entry.trim())
			.filter((entry) => entry !== '');

	const listenHost = read('listen-host') ?? apiHost;
	const pullAllow = list('pull-allow');
	for (const entry of pullAllow) validatePullAllowEntry(entry);
	const defaults = defaultNetworkPolicy(listenHost);
	const credentials = Object.fromEntries(
		Object.entries(CREDENTIAL_ENV)
			.map(([dialect, name]) => [dialect, env[name]] as const)
			.filter(([, secret]) => secret !== undefined && secret !== ''),
	);
	return {
		listenHost,
		network: {
			listenAddresses: [...new Set([...defaults.listenAddresses, ...list('allow-listen')])],
			pullRedirects: count('pull-redirects', SAFETY_DEFAULTS.pullRedirects, 0),
			pullAllow,
		},
		connections: {
			handshakeTimeoutMs: count('handshake-timeout', SAFETY_DEFAULTS.handshakeTimeoutMs, 100),
			idleTimeoutMs: count('idle-timeout', SAFETY_DEFAULTS.idleTimeoutMs, 100),
			maxPendingPerSource: count('max-pending-per-source', SAFETY_DEFAULTS.maxPendingPerSource, 1),
			maxPending: count('max-pending', SAFETY_DEFAULTS.maxPending, 1),
		},
		maxBodyBytes: count('max-body-bytes', SAFETY_DEFAULTS.maxBodyBytes, 1024),
		jwtMaxLifetimeSeconds: count('jwt-max-lifetime', SAFETY_DEFAULTS.jwtMaxLifetimeSeconds, 60),
		credentials,
	};
};
