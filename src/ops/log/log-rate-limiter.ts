/**
 * Keeps a repeated log event from flooding the log: per key, the first occurrence is written, the
 * ones within the next `intervalMs` are held back and counted, and at most one line per key and
 * interval says how many there were (with the latest one's details). A key quiet for a whole
 * interval is forgotten, so its next occurrence is written at once again.
 */

/** What is written for a key after held-back occurrences: how many, and the latest of them. */
export type HeldBack<T> = { readonly key: string; readonly held: number; readonly latest: T };

type Entry<T> = { lastLineAt: number; held: number; latest: T };

/** Keys tracked at most: beyond, the oldest is forgotten (its held-back count goes with it). */
const DEFAULT_MAX_KEYS = 10_000;

export class LogRateLimiter<T> {
	readonly #intervalMs: number;
	readonly #now: () => number;
	readonly #maxKeys: number;
	readonly #entries = new Map<string, Entry<T>>();

	constructor(intervalMs: number, now: () => number = Date.now, maxKeys = DEFAULT_MAX_KEYS) {
		this.#intervalMs = intervalMs;
		this.#now = now;
		this.#maxKeys = maxKeys;
	}

	/**
	 * One occurrence of `key`. A number when it is to be written now: the occurrences held back
	 * since the key's last line (0 for a first one). Undefined when it is held back and counted.
	 */
	admit(key: string, occurrence: T): number | undefined {
		const now = this.#now();
		const entry = this.#entries.get(key);
		if (entry === undefined) {
			if (this.#entries.size >= this.#maxKeys) this.#entries.delete(this.#entries.keys().next().value as string);
			this.#entries.set(key, { lastLineAt: now, held: 0, latest: occurrence });
			return 0;
		}
		if (now - entry.lastLineAt >= this.#intervalMs) {
			const held = entry.held;
			entry.lastLineAt = now;
			entry.held = 0;
			return held;
		}
		entry.held++;
		entry.latest = occurrence;
		return undefined;
	}

	/**
	 * The summaries due now: keys with held-back occurrences whose last line is an interval old (each
	 * then counts as written). Keys with nothing held for an interval are forgotten.
	 */
	due(): HeldBack<T>[] {
		const now = this.#now();
		const due: HeldBack<T>[] = [];
		for (const [key, entry] of this.#entries) {
			if (now - entry.lastLineAt < this.#intervalMs) continue;
			if (entry.held === 0) {
				this.#entries.delete(key);
				continue;
			}
			due.push({ key, held: entry.held, latest: entry.latest });
			entry.lastLineAt = now;
			entry.held = 0;
		}
		return due;
	}

	/** Every held-back count, whatever its age (at shutdown); everything is forgotten. */
	drain(): HeldBack<T>[] {
		const left: HeldBack<T>[] = [];
		for (const [key, entry] of this.#entries)
			if (entry.held > 0) left.push({ key, held: entry.held, latest: entry.latest });
		this.#entries.clear();
		return left;
	}
}
