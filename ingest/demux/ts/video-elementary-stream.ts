import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import { findStartCode, NalSpans, scanAnnexB, UnitRole } from '../../../src/codec/nal.ts';
import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import type { AccessUnitSink, ElementaryStream, PesEnding, StreamIdentity } from './elementary-stream.ts';

/** The codec end of a video stream: what each unit is, and what a whole access unit becomes. */
export interface AccessUnitReader {
	/** The `UnitRole` of the unit starting at `data[at]` (just past its start code). */
	role(data: Uint8Array, at: number): number;
	/**
	 * One whole access unit: the units `from` .. `spans.count` of `data` (Annex B), dated in 90 kHz
	 * ticks. May rewrite `data` in place and change `spans.keep`.
	 */
	read(data: Uint8Array, spans: NalSpans, from: number, pts: number, dts: number): void;
}

/** Longest frame spacing taken as the frame rate (1 s); a longer step is a jump, not a rate. */
const MAX_FRAME_TICKS = 90_000;

/** Start code written before each unit copied into the pending buffer. */
const START_CODE_BYTES = 4;

/**
 * Video in MPEG-TS (ISO/IEC 13818-1 §2.14, §2.17): access units as the codec defines them, not as
 * PES packets cut them. A PES may hold one access unit (ffmpeg), one NAL unit (GStreamer's
 * mpegtsmux, whose continuation PES carry no or other timestamps), or several. A boundary is where a
 * unit opens an access unit or starts a picture while the one in progress already has a picture
 * (see `UnitRole`), or where a PES brings a new PTS; the PTS of a PES dates the first access unit
 * that begins in it (§2.4.3.7), and one that begins in a PES without PTS follows the frame rate.
 *
 * Fast path, allocation-free: a PES holding whole access units that the next PES's first unit
 * closes is read in place in the PES buffer. Only an access unit that may go on in the next PES is
 * copied, into `pending`.
 */
export class VideoElementaryStream implements ElementaryStream {
	readonly #reader: AccessUnitReader;
	readonly #identity: StreamIdentity;
	readonly #sink: AccessUnitSink;
	readonly #stats: DemuxStats;
	readonly #spans = new NalSpans();
	readonly #pendingSpans = new NalSpans();
	/** The access unit in progress (Annex B, 4-byte start codes), when it began in an earlier PES. */
	readonly #pending = new GrowableBuffer(1 << 16);
	#pendingPicture = false;
	#pendingPts = Number.NaN;
	#pendingDts = Number.NaN;
	/** PTS of the previous PES (for the "new PTS" boundary), DTS and spacing of the last access unit read. */
	#lastPesPts = Number.NaN;
	/** The pending access unit lost bytes to a gap. */
	#damaged = false;
	#lastDts = Number.NaN;
	#frameTicks = 0;

	constructor(reader: AccessUnitReader, identity: StreamIdentity, sink: AccessUnitSink, stats: DemuxStats) {
		this.#reader = reader;
		this.#identity = identity;
		this.#sink = sink;
		this.#stats = stats;
	}

	pes(payload: Uint8Array, pts: number, dts: number, ending: PesEnding): void {
		const reader = this.#reader;
		const spans = scanAnnexB(payload, this.#spans);
		const ptsChanged = !Number.isNaN(pts) && pts !== this.#lastPesPts;
		if (!Number.isNaN(pts)) this.#lastPesPts = pts;
		let stamped = false; // the PES timestamps went to an access unit begun here
		let picture = this.#pendingPicture;
		/** First unit of the access unit begun in this payload; −1 while units go on the pending one. */
		let from = this.#pending.length > 0 ? -1 : 0;
		let auPts = Number.NaN;
		let auDts = Number.NaN;
		if (from === 0) {
			stamped = true;
			auPts = pts;
			auDts = dts;
		}
		for (let i = 0; i < spans.count; i++) {
			const role = reader.role(payload, spans.starts[i]!);
			if (from === i && !picture && role === UnitRole.Picture && this.#pending.length === 0) {
				// the rest of a picture whose start was lost (or came before the input began)
				this.#stats.skippedBytes += spans.ends[i]! - spans.starts[i]!;
				from = i + 1;
				continue;
			}
			const opens = role === UnitRole.Opens || role === UnitRole.PictureStart || (i === 0 && ptsChanged);
			if (picture && opens) {
				if (from < 0) {
					this.#appendPending(payload, spans, 0, i);
					this.#flushPending();
				} else {
					this.#appendPending(payload, spans, from, i);
					this.#pendingPts = auPts;
					this.#pendingDts = auDts;
					this.#flushPending();
				}
				from = i;
				auPts = stamped ? Number.NaN : pts;
				auDts = stamped ? Number.NaN : dts;
				stamped = true;
				picture = false;
			}
			if (role >= UnitRole.PictureStart) picture = true;
		}
		const closed =
			!ending.cut && picture && ending.next !== undefined && this.#opensNext(ending.next, ending.nextPtsDiffers);
		if (from < 0) {
			this.#appendPending(payload, spans, 0, spans.count);
			this.#pendingPicture = picture;
			if (closed) this.#flushPending();
		} else if (closed) {
			this.#emit(payload, spans, from, auPts, auDts);
		} else if (from < spans.count) {
			this.#appendPending(payload, spans, from, spans.count);
			this.#pendingPts = auPts;
			this.#pendingDts = auDts;
			this.#pendingPicture = picture;
		}
		// a PES cut by loss: its last access unit waits for the bytes after the gap (see `fragment`)
		if (ending.cut && this.#pending.length > 0) this.#damaged = true;
	}

	/**
	 * The bytes after a loss inside a PES continue the access unit the loss cut, as ffmpeg's demuxer
	 * joins them: the unit the gap fell in is damaged, the later ones are whole, and a decoder
	 * conceals the damage where dropping the picture would break every picture predicted from it.
	 */
	fragment(payload: Uint8Array): void {
		if (this.#pending.length === 0) {
			this.#stats.skippedBytes += payload.length; // no access unit to continue
			return;
		}
		this.#pending.append(payload);
		this.#pendingPicture ||= scanAnnexB(payload, this.#spans).count > 0;
	}

	/** After a loss between PES packets the access unit in progress is whole; inside one, it waits for the rest. */
	discontinuity(betweenPes: boolean): void {
		if (betweenPes && this.#pendingPicture) this.#flushPending();
	}

	end(): void {
		if (this.#pending.length > 0) this.#flushPending();
	}

	/** Whether the first unit in the head of the next PES begins a new access unit. */
	#opensNext(head: Uint8Array, ptsDiffers: boolean): boolean {
		if (ptsDiffers) return true;
		const code = findStartCode(head, 0);
		if (code < 0 || code + 3 >= head.length) return false;
		const role = this.#reader.role(head, code + 3);
		return role === UnitRole.Opens || role === UnitRole.PictureStart;
	}

	/** Copies units `[from, to)` of `payload` to the pending access unit, each after a 4-byte start code. */
	#appendPending(payload: Uint8Array, spans: NalSpans, from: number, to: number): void {
		const pending = this.#pending;
		for (let i = from; i < to; i++) {
			const start = spans.starts[i]!;
			const end = spans.ends[i]!;
			pending.reserve(pending.length + START_CODE_BYTES + end - start);
			const bytes = pending.bytes;
			bytes[pending.length] = 0;
			bytes[pending.length + 1] = 0;
			bytes[pending.length + 2] = 0;
			bytes[pending.length + 3] = 1;
			pending.length += START_CODE_BYTES;
			pending.append(payload, start, end);
		}
	}

	#flushPending(): void {
		if (this.#damaged) {
			this.#damaged = false;
			this.#stats.corruptUnits++;
			const { name, pid } = this.#identity;
			this.#sink.warn({
				code: 'corrupt_data',
				message: `${name} (PID ${pid}): a picture damaged by loss, passed on for the decoder to conceal`,
			});
		}
		const data = this.#pending.view();
		const spans = scanAnnexB(data, this.#pendingSpans);
		if (this.#pendingPicture || spans.count > 0) this.#emit(data, spans, 0, this.#pendingPts, this.#pendingDts);
		this.#resetPending();
	}

	#resetPending(): void {
		this.#pending.length = 0;
		this.#damaged = false;
		this.#pendingPicture = false;
		this.#pendingPts = Number.NaN;
		this.#pendingDts = Number.NaN;
	}

	/** Reads one access unit; one without timestamps is dated one frame after the last (§2.4.3.7). */
	#emit(data: Uint8Array, spans: NalSpans, from: number, pts: number, dts: number): void {
		let auDts = dts;
		let auPts = pts;
		if (Number.isNaN(auDts)) {
			if (Number.isNaN(this.#lastDts) || this.#frameTicks <= 0) {
				this.#stats.droppedUnits++; // nothing yet to date it by
				return;
			}
			auDts = this.#lastDts + this.#frameTicks;
			auPts = auDts;
		} else if (auDts > this.#lastDts && auDts - this.#lastDts < MAX_FRAME_TICKS) {
			this.#frameTicks = auDts - this.#lastDts;
		}
		this.#lastDts = auDts;
		this.#reader.read(data, spans, from, auPts, auDts);
	}
}
