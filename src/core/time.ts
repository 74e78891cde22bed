/**
 * Timestamp arithmetic. Values can exceed 2^32 (a 90 kHz clock passes it after 13.3 h), so
 * nothing here uses bitwise operators on timestamps: plain arithmetic on doubles is exact up to 2^53.
 */

/** Rescales ticks between timescales with round-half-up, without accumulating drift when applied to absolute values. */
export const rescale = (value: number, from: number, to: number): number =>
	from === to ? value : Math.round((value * to) / from);

/** Floor division by a power of two that stays exact past 32 bits. */
export const TWO_POW_33 = 8589934592;
export const TWO_POW_32 = 4294967296;

/**
 * Unwraps an N-bit wrapping clock (33-bit MPEG-TS PTS/DTS, 32-bit RTMP/FLV milliseconds) into a
 * monotonic-ish 53-bit timeline. A step backwards of more than half the range is taken as a wrap;
 * a small step backwards (B-frame PTS, jitter) stays a step backwards.
 */
export class TimestampUnwrapper {
	readonly #range: number;
	#last: number | undefined;

	constructor(bits: 32 | 33) {
		this.#range = bits === 33 ? TWO_POW_33 : TWO_POW_32;
	}

	/** Unwraps `raw` (0 ≤ raw < 2^bits) relative to the previous value returned. */
	unwrap(raw: number): number {
		const last = this.#last;
		if (last === undefined) {
			this.#last = raw;
			return raw;
		}
		const half = this.#range / 2;
		const lastRaw = last % this.#range;
		let delta = raw - lastRaw;
		if (delta < -half) delta += this.#range;
		else if (delta > half) delta -= this.#range;
		const value = last + delta;
		this.#last = value;
		return value;
	}

	/** Forgets history, e.g. after a PMT change announced new streams. */
	reset(): void {
		this.#last = undefined;
	}
}
