/**
 * The limits every listener puts on connections that have not earned a stream yet (connected but
 * not publishing: mid-handshake, waiting, or trickling bytes). Each is pending until its listener
 * says it publishes; a pending connection is closed when its handshake time runs out, and when its
 * source (remote address) or the listener holds too many pending ones, one of that source's (or of
 * the source holding the most) is closed to make room: the one that has sent the fewest bytes, the
 * oldest of those. So a real publisher, whose handshake takes milliseconds and kilobytes, always
 * gets in, and idle connections only shorten each other's lives.
 *
 * Room is made by a sweep a little after a limit is passed, among connections at least that old: a
 * burst of connections is accepted before any of them is read, and a publisher accepted in the middle
 * of one (or whose first bytes are late on a busy host) would otherwise look as idle as the rest.
 * Every closing is logged with its reason.
 */
import type { ConnectionLimits } from '../src/core/connection-limits.ts';
import { type Logger, silentLogger } from '../src/core/logger.ts';

/** What the guard needs of one connection. */
export type GuardedConnection = {
	/** Whether it publishes now (then it is no longer pending). */
	publishing(): boolean;
	/** Bytes received so far: among waiting connections, the one that sent the least goes first. */
	progress(): number;
	/** Ends it; the listener calls `release` once it is gone. */
	close(reason: string): void;
};

/** How long after a limit is passed the sweep runs, and how old a connection must be to be judged. */
const SWEEP_DELAY_MS = 200;

type Entry = {
	readonly source: string;
	/** performance.now() when it connected. */
	readonly since: number;
	readonly connection: GuardedConnection;
	readonly timer: NodeJS.Timeout;
};

export class ConnectionGuard {
	readonly #name: string;
	readonly #limits: ConnectionLimits;
	readonly #logger: Logger;
	/** Pending connections by source, oldest first (a Set keeps insertion order). */
	readonly #bySource = new Map<string, Set<Entry>>();
	#pending = 0;
	#sweeping = false;
	/** Connections closed by the guard, for stats and tests. */
	closed = 0;

	constructor(name: string, limits: ConnectionLimits, logger: Logger = silentLogger) {
		this.#name = name;
		this.#limits = limits;
		this.#logger = logger;
	}

	/** Pending connections now. */
	get pending(): number {
		return this.#pending;
	}

	/** A new connection from `source`; the returned function releases it (call it when it closes). */
	add(source: string, connection: GuardedConnection): () => void {
		const entry: Entry = {
			source,
			since: performance.now(),
			connection,
			timer: setTimeout(() => this.#expire(entry), this.#limits.handshakeTimeoutMs),
		};
		entry.timer.unref();
		let sources = this.#bySource.get(source);
		if (!sources) {
			sources = new Set();
			this.#bySource.set(source, sources);
		}
		sources.add(entry);
		this.#pending++;
		const { maxPendingPerSource, maxPending } = this.#limits;
		if (sources.size > maxPendingPerSource || this.#pending > maxPending) this.#scheduleSweep();
		return () => this.#remove(entry);
	}

	#scheduleSweep(): void {
		if (this.#sweeping) return;
		this.#sweeping = true;
		// The sweep runs in the check phase after the timer's loop turn has polled its sockets, so bytes
		// that reached the kernel before the timer fired are counted (a loop that lagged past the delay
		// would otherwise judge a publisher whose handshake is waiting to be read as idle).
		setTimeout(() => setImmediate(() => this.#sweep()).unref(), SWEEP_DELAY_MS).unref();
	}

	/** Closes waiting connections until every source and the whole are within their limits. */
	#sweep(): void {
		this.#sweeping = false;
		const { maxPendingPerSource, maxPending } = this.#limits;
		let judged = true;
		for (const [source, entries] of this.#bySource) {
			while (judged && entries.size > maxPendingPerSource) {
				const why = `${entries.size} connections from ${source} are not publishing yet (at most ${maxPendingPerSource})`;
				judged = this.#evict(entries, why);
			}
		}
		while (judged && this.#pending > maxPending) {
			judged = this.#relieve(`${this.#pending} connections are not publishing yet (at most ${maxPending})`);
		}
		// Still over a limit with only connections too new to judge: look again once they are old enough.
		if (!judged) this.#scheduleSweep();
	}

	/**
	 * A listener's cap on all its connections, checked by the listener itself (net.Server's
	 * maxConnections counts a closed socket until its handle closed, so a burst of closings would
	 * still count): above it a waiting connection old enough to judge makes room, else the newcomer
	 * from `source` is refused (closed with `close`).
	 */
	enforceCap(open: number, max: number, source: string, close: (reason: string) => void): void {
		if (open <= max) return;
		const why = `more than ${max} connections`;
		// On a lagging host a whole crowd can still be too new to judge; then the least active connection
		// accepted before the newcomer (older than a millisecond: the newcomer was added just now and none of
		// its bytes are read yet) gives way, and the newcomer is refused only when no other one waits.
		if (this.#relieve(why) || this.#relieve(why, 1)) return;
		this.closed++;
		this.#logger.warn(
			{ event: 'connection.refused', listener: this.#name, remoteAddress: source, reason: why },
			`${this.#name}: refused a connection from ${source}: ${why}`,
		);
		close(why);
	}

	/** Closes one waiting connection of the source holding the most; returns whether one was closed. */
	#relieve(why: string, minAgeMs = SWEEP_DELAY_MS): boolean {
		let busiest: Set<Entry> | undefined;
		for (const entries of this.#bySource.values()) if (!busiest || entries.size > busiest.size) busiest = entries;
		return busiest !== undefined && this.#evict(busiest, why, minAgeMs);
	}

	#expire(entry: Entry): void {
		this.#remove(entry);
		if (entry.connection.publishing()) return;
		this.#close(entry, `not publishing within ${this.#limits.handshakeTimeoutMs} ms`);
	}

	/**
	 * Makes one place in `entries`: one that publishes by now leaves the pending set; else the one
	 * old enough to judge that sent the fewest bytes (the oldest of those: the set is in arrival
	 * order) is closed. Returns false when every waiting one is too new to judge.
	 */
	#evict(entries: Set<Entry>, why: string, minAgeMs = SWEEP_DELAY_MS): boolean {
		const judgeable = performance.now() - minAgeMs;
		let victim: Entry | undefined;
		let least = Number.POSITIVE_INFINITY;
		for (const entry of entries) {
			if (entry.connection.publishing()) {
				this.#remove(entry);
				return true;
			}
			if (entry.since > judgeable) continue;
			const progress = entry.connection.progress();
			if (progress < least) {
				least = progress;
				victim = entry;
			}
		}
		if (!victim) return false;
		this.#remove(victim);
		this.#close(victim, `${why}: the one that sent the least makes room`);
		return true;
	}

	#remove(entry: Entry): void {
		const entries = this.#bySource.get(entry.source);
		if (!entries?.delete(entry)) return;
		clearTimeout(entry.timer);
		this.#pending--;
		if (entries.size === 0) this.#bySource.delete(entry.source);
	}

	#close(entry: Entry, reason: string): void {
		this.closed++;
		this.#logger.info(
			{ event: 'connection.closed', listener: this.#name, remoteAddress: entry.source, reason },
			`${this.#name}: closed a connection from ${entry.source}: ${reason}`,
		);
		entry.connection.close(reason);
	}
}
