/**
 * The timestamp jumps of one stream and the offset after each: epoch 0 is the source's own timeline,
 * epoch n+1 starts where a track first jumped (a spliced feed, an encoder restart, a clock reset).
 * Each track walks the epochs at its own pace (MPEG-TS muxes audio later than video), so every track
 * takes the offset its first jumping track decided, and the A/V offset across a jump is the input's.
 */
import { rescale } from '../core/time.ts';

/** A forward step of more than this is a discontinuity rather than a gap in the media. */
const JUMP_LIMIT_S = 10;
/** The same once the input reported a timestamp jump (MPEG-TS `discontinuity_indicator`, a PCR jump). */
const HINTED_JUMP_LIMIT_S = 0.5;

/** A point on a timeline: ticks of a given timescale. */
type Instant = { readonly ticks: number; readonly timescale: number };

const ZERO: Instant = { ticks: 0, timescale: 1 };

export class StreamEpochs {
	/** The source-to-recording shift of each epoch. */
	#offsets: Instant[] = [ZERO];
	/** Each epoch's jump from the one before, in source seconds, for tracks that cross it later. */
	#jumps: number[] = [0];
	#hinted = false;

	/** The epoch a track that starts now belongs to. */
	get latest(): number {
		return this.#offsets.length - 1;
	}

	/** The input said its timestamps jump here: smaller forward steps count as a jump until one is taken. */
	hint(): void {
		this.#hinted = true;
	}

	/** The source restarted: its clock starts over with no jump behind it. */
	reset(): void {
		this.#offsets = [ZERO];
		this.#jumps = [0];
		this.#hinted = false;
	}

	/** The shift of `epoch` in ticks of `timescale`. */
	shift(epoch: number, timescale: number): number {
		const offset = this.#offsets[epoch]!;
		return rescale(offset.ticks, offset.timescale, timescale);
	}

	/** Moves `epoch` later by `ticks` of `timescale` (a track would overlap its own past in it). */
	moveOn(epoch: number, ticks: number, timescale: number): void {
		this.#offsets[epoch] = { ticks: this.shift(epoch, timescale) + ticks, timescale };
	}

	/**
	 * The epoch a packet of a track in `epoch` belongs to, `delta` ticks away from where the track
	 * would continue: each later jump is crossed when the packet lands nearer the jumped timeline.
	 * A step that crosses none and is a jump itself opens a new epoch, from the latest one, that
	 * carries this track on where it would have continued. Returns `epoch` when nothing changed.
	 */
	place(epoch: number, delta: number, timescale: number, nudgeTicks: number): number {
		let placed = epoch;
		let rest = delta;
		while (placed < this.latest) {
			const jump = this.#jumps[placed + 1]! * timescale;
			if (Math.abs(rest - jump) >= Math.abs(rest)) break;
			rest -= jump;
			placed++;
		}
		if (placed === epoch && this.#isJump(delta, timescale, nudgeTicks)) {
			this.#offsets.push({ ticks: this.shift(this.latest, timescale) - delta, timescale });
			this.#jumps.push(delta / timescale);
			placed = this.latest;
		}
		// The jump the input announced is the one just taken (or followed): later steps count as usual.
		if (placed !== epoch) this.#hinted = false;
		return placed;
	}

	/** A step back past the nudge limit, or forward past the jump limit. */
	#isJump(delta: number, timescale: number, nudgeTicks: number): boolean {
		if (delta < -nudgeTicks) return true;
		return delta > (this.#hinted ? HINTED_JUMP_LIMIT_S : JUMP_LIMIT_S) * timescale;
	}
}
