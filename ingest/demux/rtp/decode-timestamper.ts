import type { AccessUnitReceiver, CodecParameters } from './rtp-depacketizer.ts';

/** Frames looked at before the reordering depth is fixed. */
const WINDOW_FRAMES = 16;

type HeldFrame = { pts: number; duration: number; keyframe: boolean; data: Uint8Array };
/** Frames held at the start, and new parameters between them (passed on in that order). */
type Held = HeldFrame | { parameters: CodecParameters };

/**
 * RTP carries only presentation timestamps; with B-frames the decode order differs and muxers need
 * a DTS. This derives one: with a reordering depth D (frames decoded before an earlier-displayed
 * one), the i-th DTS is the (i − D)-th smallest PTS seen, which is never above the frame's own PTS
 * and never decreases. D is the larger of what the encoder declares in its SPS (so the DTS matches
 * the encoder's own, which matters for aligning tracks by arrival time) and what the first frames
 * show (a short hold at start only); the first D frames get DTS values one frame apart below the
 * first PTS. A larger D later on (an encoder change) cannot break order: DTS is then clamped and
 * the fix-up counted.
 */
export class DecodeTimestamper implements AccessUnitReceiver {
	/** Times a DTS had to be clamped because reordering went deeper than measured. */
	fixups = 0;
	readonly #downstream: AccessUnitReceiver;
	readonly #clockRate: number;
	#held: Held[] | undefined = [];
	#depth = 0;
	#declaredDepth = 0;
	#frameTicks = 0;
	#firstPts = 0;
	#index = 0;
	#lastDts = Number.NEGATIVE_INFINITY;
	/** PTS values not yet used as a DTS, ascending; at most depth + 1 of them. */
	#pending = new Float64Array(WINDOW_FRAMES + 2);
	#pendingCount = 0;

	constructor(downstream: AccessUnitReceiver, clockRate: number) {
		this.#downstream = downstream;
		this.#clockRate = clockRate;
	}

	parameters(parameters: CodecParameters): void {
		this.declare(parameters);
		// Parameters that change while frames are held go downstream after those frames, not before.
		if (this.#held && this.#held.length > 0) this.#held.push({ parameters });
		else this.#downstream.parameters(parameters);
	}

	/** Takes the reordering depth the parameters declare (before the first frames, for SDP parameters). */
	declare(parameters: CodecParameters): void {
		if (parameters.reorderDepth !== undefined) this.#declaredDepth = Math.min(parameters.reorderDepth, WINDOW_FRAMES);
	}

	accessUnit(pts: number, _dts: number, duration: number, keyframe: boolean, data: Uint8Array): void {
		const held = this.#held;
		if (held === undefined) {
			this.#stamp(pts, duration, keyframe, data);
			return;
		}
		held.push({ pts, duration, keyframe, data: data.slice() });
		const times = frames(held).map((h) => h.pts);
		if (times.length >= WINDOW_FRAMES || Math.max(...times) - Math.min(...times) >= this.#clockRate) this.flush();
	}

	/** Fixes the depth from the frames held so far and passes them on (also at end of stream). */
	flush(): void {
		if (this.#held === undefined) return;
		const all = this.#held;
		const held = frames(all);
		this.#held = undefined;
		let depth = this.#declaredDepth;
		for (let i = 0; i < held.length; i++) {
			let later = 0;
			for (let j = 0; j < i; j++) if (held[j]!.pts > held[i]!.pts) later++;
			depth = Math.max(depth, later);
		}
		const sorted = held.map((h) => h.pts).sort((a, b) => a - b);
		let step = Number.POSITIVE_INFINITY;
		for (let i = 1; i < sorted.length; i++) {
			const d = sorted[i]! - sorted[i - 1]!;
			if (d > 0) step = Math.min(step, d);
		}
		this.#depth = depth;
		this.#frameTicks = Number.isFinite(step) ? step : Math.round(this.#clockRate / 25);
		this.#firstPts = sorted[0] ?? 0;
		for (const h of all) {
			if ('parameters' in h) this.#downstream.parameters(h.parameters);
			else this.#stamp(h.pts, h.duration, h.keyframe, h.data);
		}
	}

	#stamp(pts: number, duration: number, keyframe: boolean, data: Uint8Array): void {
		this.#insert(pts);
		let dts: number;
		if (this.#index < this.#depth) {
			dts = this.#firstPts - (this.#depth - this.#index) * this.#frameTicks;
		} else {
			dts = this.#pending[0]!;
			this.#pending.copyWithin(0, 1, this.#pendingCount);
			this.#pendingCount--;
		}
		this.#index++;
		if (dts > pts || dts <= this.#lastDts) {
			this.fixups++;
			dts = Math.max(this.#lastDts + 1, Math.min(dts, pts));
		}
		this.#lastDts = dts;
		this.#downstream.accessUnit(pts, dts, duration, keyframe, data);
	}

	#insert(pts: number): void {
		if (this.#pendingCount === this.#pending.length) {
			// Reordering deeper than the buffer: drop the smallest, which is overdue anyway.
			this.#pending.copyWithin(0, 1, this.#pendingCount);
			this.#pendingCount--;
		}
		let at = this.#pendingCount;
		while (at > 0 && this.#pending[at - 1]! > pts) {
			this.#pending[at] = this.#pending[at - 1]!;
			at--;
		}
		this.#pending[at] = pts;
		this.#pendingCount++;
	}
}

const frames = (held: readonly Held[]): HeldFrame[] => held.filter((h): h is HeldFrame => 'pts' in h);
