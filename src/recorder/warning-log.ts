import type { MediaWarning } from '../core/media-receiver.ts';

/**
 * What a recording warns about: what its input said (MediaWarning), what its writer dropped or
 * changed, and `file`: about its files (one written under another name than its template gave, because that
 * one was taken, as files are never replaced; an info file not written).
 */
export type RecordingWarning = { readonly code: MediaWarning['code'] | 'file'; readonly message: string };

/**
 * The log event of a warning: lost media, a timestamp re-origined, or anything else the input or the
 * writer changed (damaged units passed on, unsupported streams, new parameters, renamed files).
 */
export const warningEvent = (code: RecordingWarning['code']): 'media.dropped' | 'timestamp.fixed' | 'media.warning' =>
	code === 'dropped_data' ? 'media.dropped' : code === 'timestamp_jump' ? 'timestamp.fixed' : 'media.warning';

/** One distinct warning (same code and message) and how often it came. */
export type WarningEntry = {
	readonly code: RecordingWarning['code'];
	readonly message: string;
	readonly count: number;
	/** ISO time of the latest occurrence. */
	readonly lastAt: string;
};

/** What a recording's input and files lost or changed, as the APIs show it. */
export type RecordingWarnings = {
	readonly total: number;
	readonly byCode: Readonly<Partial<Record<RecordingWarning['code'], number>>>;
	/** The latest distinct warnings, newest last. */
	readonly recent: readonly WarningEntry[];
};

/** Distinct warnings kept: a stream that warns on every packet keeps the latest ones, not all. */
const DEFAULT_KEPT = 20;

type MutableEntry = { -readonly [K in keyof WarningEntry]: WarningEntry[K] };

/**
 * The warnings of one recording: counts by code over its whole life, and the last few distinct ones
 * with their counts, in a bounded map (oldest distinct one evicted first).
 */
export class WarningLog {
	readonly #kept: number;
	readonly #recent = new Map<string, MutableEntry>();
	readonly #byCode: Partial<Record<RecordingWarning['code'], number>> = {};
	#total = 0;

	constructor(kept = DEFAULT_KEPT) {
		this.#kept = kept;
	}

	add(warning: RecordingWarning, now: Date): void {
		this.#total++;
		this.#byCode[warning.code] = (this.#byCode[warning.code] ?? 0) + 1;
		const key = `${warning.code}\n${warning.message}`;
		const entry = this.#recent.get(key);
		this.#recent.delete(key);
		this.#recent.set(key, {
			code: warning.code,
			message: warning.message,
			count: (entry?.count ?? 0) + 1,
			lastAt: now.toISOString(),
		});
		if (this.#recent.size > this.#kept) this.#recent.delete(this.#recent.keys().next().value as string);
	}

	get snapshot(): RecordingWarnings {
		return {
			total: this.#total,
			byCode: { ...this.#byCode },
			recent: [...this.#recent.values()].map((e) => ({ ...e })),
		};
	}
}
