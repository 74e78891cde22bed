/**
 * The limits every listener puts on connections that have not earned a stream yet (connected but
 * not publishing: mid-handshake, waiting, or trickling bytes). Each is pending until its listener
 * says it publishes; a pending connection is closed when its handshake time runs out, and when its
 * source (remote address) or the listener holds too many pending ones, the oldest of that source
 * (or of the source holding the most) is closed to make room. So a real publisher, whose handshake
 * takes milliseconds, always gets in, and idle connections only shorten each other's lives.
 * Every closing is logged with its reason.
 */
import type { ConnectionLimits } from '../src/core/connection-limits.ts';

/** What the guard needs of one connection. */
export type GuardedConnection = {
	/** Whether it publishes now (then it is no longer pending). */
	publishing(): boolean;
	/** Ends it; the listener calls `release` once it is gone. */
	close(reason: string): void;
};

type Entry = {
	readonly source: string;
	readonly connection: GuardedConnection;
	readonly timer: NodeJS.Timeout;
};

export class ConnectionGuard {
	readonly #name: string;
	readonly #limits: ConnectionLimits;
	readonly #log: (message: string) => void;
	/** Pending connections by source, oldest first (a Set keeps insertion order). */
	readonly #bySource = new Map<string, Set<Entry>>();
	#pending = 0;
	/** Connections closed by the guard, for stats and tests. */
	closed = 0;

	constructor(name: string, limits: ConnectionLimits, log: (message: string) => void = () => {}) {
		this.#name = name;
		this.#limits = limits;
		this.#log = log;
	}

	/** Pending connections now. */
	get pending(): number {
		return this.#pending;
	}

	/** A new connection from `source`; the returned function releases it (call it when it closes). */
	add(source: string, connection: GuardedConnection): () => void {
		this.#makeRoom(source);
		const entry: Entry = {
			source,
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
		return () => this.#remove(entry);
	}

	#expire(entry: Entry): void {
		this.#remove(entry);
		if (entry.connection.publishing()) return;
		this.#close(entry, `not publishing within ${this.#limits.handshakeTimeoutMs} ms`);
	}

	/** Frees a slot for `source`: first from its own pending ones, then from the source holding the most. */
	#makeRoom(source: string): void {
		const own = this.#bySource.get(source);
		if (own && own.size >= this.#limits.maxPendingPerSource) {
			this.#evictOldest(
				own,
				`${own.size} connections from ${source} are not publishing yet (at most ${this.#limits.maxPendingPerSource})`,
			);
		}
		if (this.#pending >= this.#limits.maxPending) {
			let busiest: Set<Entry> | undefined;
			for (const entries of this.#bySource.values()) if (!busiest || entries.size > busiest.size) busiest = entries;
			if (busiest)
				this.#evictOldest(
					busiest,
					`${this.#pending} connections are not publishing yet (at most ${this.#limits.maxPending})`,
				);
		}
	}

	/** Closes the oldest entry that still does not publish; those that do leave the pending set. */
	#evictOldest(entries: Set<Entry>, why: string): void {
		for (const entry of entries) {
			this.#remove(entry);
			if (entry.connection.publishing()) continue;
			this.#close(entry, `${why}: the oldest makes room`);
			return;
		}
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
		this.#log(`${this.#name}: closed a connection from ${entry.source}: ${reason}`);
		entry.connection.close(reason);
	}
}
