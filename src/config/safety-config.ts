/**
 * The API and listener safety settings of `tapedeck serve` (README "Security → API"): where the
 * listeners bind, what API clients may open, how long connections may idle, how large a request may
 * be, how long a token may live, and a secret per API dialect.
 */
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../core/connection-limits.ts';
import { defaultNetworkPolicy, type NetworkPolicy } from '../core/network-policy.ts';
import type { Settings } from './config-schema.ts';

export const SAFETY_DEFAULTS = {
	/** Request bodies above this are refused (413) while they arrive: jobs are small. */
	maxBodyBytes: 1024 * 1024,
	/** A Callaba JWT living longer than this (or without `exp`) is refused: a leaked token expires. */
	jwtMaxLifetimeSeconds: 86_400,
	/** HTTP pulls follow no redirect: a redirect may lead to a service the client cannot reach itself. */
	pullRedirects: 0,
	...DEFAULT_CONNECTION_LIMITS,
} as const;

export type ApiDialect = 'callaba' | 'ome' | 'huawei';

export type SafetyConfig = {
	/** Address of the built-in listeners, and of a job's own listeners that name none. */
	readonly listenHost: string;
	readonly network: NetworkPolicy;
	readonly connections: ConnectionLimits;
	readonly maxBodyBytes: number;
	readonly jwtMaxLifetimeSeconds: number;
	/** A dialect's own secret; unset ones fall back to the access token. */
	readonly credentials: { readonly [dialect in ApiDialect]?: string };
};

/** The safety settings out of the configuration; the listeners bind the API's address unless told otherwise. */
export const safetyConfig = ({ api, ingest, pull }: Settings): SafetyConfig => {
	const listenHost = ingest.host ?? api.host;
	return {
		listenHost,
		network: {
			listenAddresses: [...new Set([...defaultNetworkPolicy(listenHost).listenAddresses, ...ingest.allowListen])],
			pullRedirects: pull.redirects,
			pullAllow: pull.allow,
		},
		connections: {
			handshakeTimeoutMs: ingest.handshakeTimeoutMs,
			idleTimeoutMs: ingest.idleTimeoutMs,
			maxPendingPerSource: ingest.maxPendingPerSource,
			maxPending: ingest.maxPending,
		},
		maxBodyBytes: api.maxBodyBytes,
		jwtMaxLifetimeSeconds: api.jwtMaxLifetimeSeconds,
		credentials: Object.fromEntries(Object.entries(api.tokens).filter(([, secret]) => secret !== undefined)),
	};
};
