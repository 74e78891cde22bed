/**
 * Where a recording's stream comes from, in tapedeck's own words: every API dialect translates its
 * request into this, the job store saves it, and `ingest/create-input.ts` builds the source from it.
 */
import type { ConnectionLimits } from './connection-limits.ts';
import type { Logger } from './logger.ts';
import type { NetworkPolicy } from './network-policy.ts';
import type { IngestSource, PublishRequest, StreamHub, StreamKey, StreamPublisher } from './stream-hub.ts';

export const INPUT_PROTOCOLS = ['srt', 'rtmp', 'rtsp', 'udp', 'http', 'hls', 'dash', 'testsrc'] as const;
export type InputProtocol = (typeof INPUT_PROTOCOLS)[number];

/**
 * `listen`: the job opens a port of its own and records whoever publishes to it; `pull`: the job
 * connects to a URL; `built-in`: the job records a stream one of the server's listeners publishes.
 */
export const INPUT_DIRECTIONS = ['listen', 'pull', 'built-in'] as const;
export type InputDirection = (typeof INPUT_DIRECTIONS)[number];

/** Secrets of an input: stored, used by the ingest, never shown by an API. */
export type InputCredentials = {
	/** SRT encryption passphrase (10–80 bytes). */
	readonly passphrase?: string;
	/** The key a publisher must present (RTMP stream key, SRT stream-id key, …). */
	readonly key?: string;
	readonly user?: string;
	readonly password?: string;
	/** Addresses or IPv4 CIDR blocks allowed to publish (the one check UDP allows); none: any. */
	readonly sources?: readonly string[];
};

export type InputSpec = {
	readonly protocol: InputProtocol;
	readonly direction: InputDirection;
	/** `listen`: where to bind; the host defaults to the server's, for UDP it may be a multicast group. */
	readonly address?: { readonly host?: string; readonly port: number; readonly transport?: 'udp' | 'tcp' };
	/** `pull`: the URL to read (it may carry protocol parameters in its query). */
	readonly url?: string;
	/** `built-in`: the id of the server's listener. */
	readonly module?: string;
	/** `built-in`: the stream on that listener, as a publisher names it (`app/stream`, an SRT stream id). */
	readonly stream?: string;
	readonly credentials?: InputCredentials;
	/** Protocol tuning (SRT `latencyMs`, …). */
	readonly options?: Readonly<Record<string, string | number | boolean>>;
};

/** One of the server's built-in listeners, as inputs name it. */
export type BuiltInModule = {
	readonly id: string;
	readonly protocol: 'rtmp' | 'srt' | 'rtsp';
	/** Where publishers reach it. */
	readonly url: string;
	/** The bus stream this listener publishes for a stream name a publisher sends; a TapedeckError for none. */
	streamKey(stream: string): StreamKey;
};

/** What an input needs besides its spec. */
export type InputContext = {
	/** The bus, for inputs that publish under their own keys. */
	readonly hub: StreamHub;
	/** The key `target` publishes to. */
	readonly key: StreamKey;
	/** Address listeners bind when the spec names none (the server's `--host`). */
	readonly listenHost: string;
	readonly logger: Logger;
	/** What the job's listeners may bind and its pulls reach; default: `listenHost` and loopback, no redirects. */
	readonly network?: NetworkPolicy;
	/** Handshake and idle times, connections not publishing yet, for the job's own listeners. */
	readonly connections?: ConnectionLimits;
	/** Who may publish into the input's own listener (the publish policy's check of its credentials); none: anyone. */
	readonly admission?: InputAdmission;
};

/** The publish check of a job's own listener (built by `src/auth` from the input's credentials). */
export type InputAdmission = {
	authorize(request: PublishRequest): Promise<boolean>;
	/** Passwords a Digest answer from `user` may have been computed with (RTSP). */
	digestPasswords(user: string): readonly string[];
};

/** Builds the source of an input of the job's own (`listen` or `pull`); nothing is bound until `start()`. */
export type OpenInput = (spec: InputSpec, target: StreamPublisher, context: InputContext) => IngestSource;

/** What every API shows instead of a secret. */
export const MASK = '***';

/** URL query parameters that carry secrets (SRT `passphrase`, publish keys, tokens). */
const SECRET_QUERY = /^(passphrase|password|pass|key|token|secret)$/i;

/** A URL with its password and secret query parameters masked; anything that is no URL is kept. */
export const maskUrl = (text: string): string => {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return text;
	}
	let changed = false;
	if (url.password !== '') {
		url.password = MASK;
		changed = true;
	}
	for (const name of [...url.searchParams.keys()]) {
		if (!SECRET_QUERY.test(name)) continue;
		url.searchParams.set(name, MASK);
		changed = true;
	}
	return changed ? decodeURIComponent(url.toString()) : text;
};

/** The spec as an API may show it: every credential and URL secret replaced by `***`. */
export const maskInput = (spec: InputSpec): InputSpec => ({
	...spec,
	...(spec.url === undefined ? {} : { url: maskUrl(spec.url) }),
	...(spec.credentials === undefined
		? {}
		: {
				credentials: Object.fromEntries(
					Object.entries(spec.credentials).map(([name, value]) => [
						name,
						name === 'user' || name === 'sources' ? value : MASK,
					]),
				),
			}),
});

/** `text` (a state reason, a log line) with every secret of `spec` in it replaced by `***`. */
export const maskSecretsIn = (text: string, spec: InputSpec | undefined): string => {
	if (!spec) return text;
	const secrets = [spec.credentials?.passphrase, spec.credentials?.key, spec.credentials?.password];
	if (spec.url !== undefined) {
		try {
			const url = new URL(spec.url);
			secrets.push(url.password, decodeURIComponent(url.password));
			for (const [name, value] of url.searchParams) if (SECRET_QUERY.test(name)) secrets.push(value);
		} catch {
			// not a URL: nothing in it is known to be secret
		}
	}
	let masked = text;
	for (const secret of secrets) if (secret) masked = masked.replaceAll(secret, MASK);
	return masked;
};
