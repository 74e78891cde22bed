/**
 * How long and how many: what a listener grants connections that have not yet earned a stream, so
 * that idle or slow clients, from one host or many, cannot hold the slots real publishers need.
 */
export type ConnectionLimits = {
	/** A connection must be publishing (or playing) within this after it is accepted. */
	readonly handshakeTimeoutMs: number;
	/** A connection that sends nothing for this long is closed (publishing or not). */
	readonly idleTimeoutMs: number;
	/**
	 * Connections from one remote address that are not publishing yet. At the limit the oldest of
	 * them is closed to admit the new one: a real publisher, whose handshake takes milliseconds,
	 * always gets through, while a host holding idle connections only shortens their lives.
	 */
	readonly maxPendingPerSource: number;
	/** Connections not publishing yet, all sources together; at the limit the busiest source's oldest goes. */
	readonly maxPending: number;
};

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
	handshakeTimeoutMs: 10_000,
	idleTimeoutMs: 30_000,
	maxPendingPerSource: 16,
	maxPending: 256,
};
