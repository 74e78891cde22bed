import { copyFromBuffer } from '../../../src/bytes/copy-bytes.ts';
import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import { type TimestampUnwrapper, TWO_POW_32, TWO_POW_33 } from '../../../src/core/time.ts';
import type { ElementaryStream, PesEnding, StreamIdentity } from './elementary-stream.ts';

/** Hears of a DTS that steps back, or far ahead, between PES packets of one PID. */
export interface TimestampJumpListener {
	timestampJump(identity: StreamIdentity, from: number, to: number): void;
}

/** DTS steps taken as a jump, in 90 kHz ticks: back by more than 0.5 s, ahead by more than 5 s. */
const JUMP_BACK = 45_000;
const JUMP_AHEAD = 450_000;

/**
 * Reassembles the PES packets of one PID (ISO/IEC 13818-1 §2.4.3.6) into one growable buffer
 * reused from packet to packet, then hands the payload to the elementary stream as a view.
 * A bounded PES (PES_packet_length > 0) is delivered as soon as it is whole; an unbounded one
 * (length 0, usual for video) when the next payload_unit_start_indicator arrives or at the end.
 *
 * Loss costs only what it touched: a PES cut short by a continuity gap is still handed on (marked
 * `cut`, so the stream keeps the units that are whole), and the bytes after the gap up to the
 * next PES start are handed on as a fragment in which framed audio resynchronises.
 */
export class PesAssembler {
	readonly #stream: ElementaryStream;
	readonly #clock: TimestampUnwrapper;
	readonly #stats: DemuxStats;
	readonly #identity: StreamIdentity;
	readonly #jumps: TimestampJumpListener;
	#lastDts = Number.NaN;
	readonly #buffer = new GrowableBuffer(1 << 16);
	/** A PES whose header was seen is being collected. */
	#collecting = false;
	/** Bytes after a loss, of a PES whose header is gone, are being collected. */
	#orphan = false;
	/** Whole PES size from PES_packet_length (6 + length), 0 when unbounded, −1 until the header is in. */
	#expected = -1;
	/** The 33-bit PTS field of the PES being delivered, NaN when it has none. */
	#rawPts = Number.NaN;
	readonly #ending: PesEnding = { cut: false, next: undefined, nextPtsDiffers: false };
	/**
	 * The array the last payload came from (the input chunk, nearly always), with its ArrayBuffer
	 * and offset: `.buffer` is a getter that calls into C++, too slow to read once per TS packet.
	 */
	#source: Uint8Array | undefined;
	#sourceBuffer: ArrayBufferLike = new ArrayBuffer(0);
	#sourceOffset = 0;
	/** Payload bytes of the last TS packet taken: 184 when it had no adaptation field (no stuffing). */
	#lastPayloadBytes = 0;
	/** The last TS packet taken ended in adaptation-field stuffing: the PES ended with it (§2.4.3.5). */
	#lastStuffed = false;

	/** `clock` is shared by every PID of the program so all tracks unwrap against one timeline. */
	constructor(
		stream: ElementaryStream,
		clock: TimestampUnwrapper,
		stats: DemuxStats,
		identity: StreamIdentity,
		jumps: TimestampJumpListener,
	) {
		this.#stream = stream;
		this.#clock = clock;
		this.#stats = stats;
		this.#identity = identity;
		this.#jumps = jumps;
	}

	/** DTS (90 kHz, unwrapped) of the last PES that had one; NaN before. */
	get lastDts(): number {
		return this.#lastDts;
	}

	/** The payload of one TS packet of this PID: bytes `[start, end)` of `data`; `stuffed`: its adaptation field has stuffing. */
	payload(data: Uint8Array, start: number, end: number, unitStart: boolean, stuffed: boolean): void {
		if (unitStart) {
			if (this.#collecting) this.#completeBefore(data, start, end);
			else if (this.#orphan) this.#deliverFragment();
			this.#buffer.length = 0;
			this.#expected = -1;
			this.#collecting = true;
		} else if (!this.#collecting && !this.#orphan) {
			this.#stats.skippedBytes += end - start; // the tail of a PES whose start we never saw
			return;
		}
		this.#append(data, start, end);
		this.#lastPayloadBytes = end - start;
		this.#lastStuffed = stuffed;
		if (!this.#collecting) return;
		const buffer = this.#buffer;
		if (this.#expected < 0 && buffer.length >= 6) {
			const length = (buffer.bytes[4]! << 8) | buffer.bytes[5]!; // PES_packet_length
			this.#expected = length === 0 ? 0 : 6 + length;
		}
		if (this.#expected > 0 && buffer.length >= this.#expected) this.#complete(false, undefined);
	}

	/**
	 * Continuity lost before the packet about to be given (`unitStart`: it begins a PES). An
	 * unbounded PES whose last packet ended in stuffing (§2.4.3.5: a muxer pads the last packet of a
	 * PES) lost nothing: the loss was of whole packets after it. It completes as usual, and what was
	 * lost began a new PES. Otherwise what was collected goes on cut short. Either way, bytes up to
	 * the next PES start are kept as a fragment.
	 */
	discontinuity(unitStart: boolean): void {
		let betweenPes = !this.#collecting;
		if (this.#collecting) {
			betweenPes = this.#expected === 0 && this.#lastStuffed;
			if (betweenPes && unitStart) return;
			this.#complete(!betweenPes, undefined);
		} else if (this.#orphan) {
			this.#deliverFragment();
		}
		this.#stream.discontinuity(betweenPes);
		this.#buffer.length = 0;
		this.#orphan = !unitStart;
	}

	/**
	 * End of input; then the stream flushes. An unbounded PES in progress (video) is complete unless
	 * its last TS packet was full: a muxer ends a PES mid-packet with adaptation-field stuffing
	 * (§2.4.3.5), so a full last packet means the rest of the frame never came (a publisher that
	 * vanished, a cut file): it is dropped and counted. A bounded one not yet whole goes on cut short.
	 */
	end(): void {
		if (this.#collecting && this.#expected === 0 && this.#lastPayloadBytes === TS_PAYLOAD_BYTES) {
			this.#collecting = false;
			this.#stats.droppedUnits++; // the rest of the picture never came: not recorded broken
		} else if (this.#collecting) {
			this.#complete(this.#expected !== 0, undefined);
		} else if (this.#orphan) {
			this.#deliverFragment();
		}
		this.#stream.end();
	}

	/** Copies `data[start, end)` to the end of the buffer, reading `data.buffer` once per source array. */
	#append(data: Uint8Array, start: number, end: number): void {
		if (data !== this.#source) {
			this.#source = data;
			this.#sourceBuffer = data.buffer;
			this.#sourceOffset = data.byteOffset;
		}
		const buffer = this.#buffer;
		const count = end - start;
		buffer.reserve(buffer.length + count);
		copyFromBuffer(this.#sourceBuffer, this.#sourceOffset + start, buffer.bytes, buffer.length, count);
		buffer.length += count;
	}

	/** Completes the PES in progress now that the next begins at `data[start, end)`: its head goes along. */
	#completeBefore(data: Uint8Array, start: number, end: number): void {
		const valid = end - start >= 9 && data[start] === 0 && data[start + 1] === 0 && data[start + 2] === 1;
		const headerEnd = valid ? start + 9 + data[start + 8]! : end + 1; // PES_header_data_length
		if (headerEnd > end) {
			this.#complete(false, undefined);
			return;
		}
		const flags = data[start + 7]! >> 6; // PTS_DTS_flags
		const nextPts = flags >= 2 && headerEnd >= start + 14 ? readTimestamp(data, start + 9) : Number.NaN;
		this.#complete(false, data.subarray(headerEnd, end), nextPts);
	}

	#complete(cut: boolean, next: Uint8Array | undefined, nextPts = Number.NaN): void {
		this.#collecting = false;
		const bytes = this.#buffer.bytes;
		const length = this.#expected > 0 ? Math.min(this.#expected, this.#buffer.length) : this.#buffer.length;
		// packet_start_code_prefix, then the optional header present for every audio/video stream_id
		if (length < 9 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 1 || (bytes[6]! & 0xc0) !== 0x80) {
			this.#stats.droppedUnits++;
			return;
		}
		const flags = bytes[7]! >> 6; // PTS_DTS_flags
		const payloadStart = 9 + bytes[8]!; // PES_header_data_length
		if (payloadStart > length || (flags >= 2 && length < 14) || (flags === 3 && length < 19)) {
			this.#stats.droppedUnits++;
			return;
		}
		let pts = Number.NaN;
		let dts = Number.NaN;
		this.#rawPts = Number.NaN;
		if (flags >= 2) {
			const rawPts = readTimestamp(bytes, 9);
			const rawDts = flags === 3 ? readTimestamp(bytes, 14) : rawPts;
			this.#rawPts = rawPts;
			dts = this.#clock.unwrap(rawDts);
			pts = dts + signedDelta(rawPts - rawDts);
			const last = this.#lastDts;
			if (dts < last - JUMP_BACK || dts > last + JUMP_AHEAD) this.#jumps.timestampJump(this.#identity, last, dts);
			this.#lastDts = dts;
		}
		const ending = this.#ending;
		ending.cut = cut || (this.#expected > 0 && this.#buffer.length < this.#expected);
		ending.next = next;
		ending.nextPtsDiffers = !Number.isNaN(nextPts) && nextPts !== this.#rawPts;
		this.#stream.pes(bytes.subarray(payloadStart, length), pts, dts, ending);
	}

	#deliverFragment(): void {
		this.#orphan = false;
		if (this.#buffer.length > 0) this.#stream.fragment(this.#buffer.bytes.subarray(0, this.#buffer.length));
		this.#buffer.length = 0;
	}
}

/** Payload bytes of a TS packet without an adaptation field. */
const TS_PAYLOAD_BYTES = 184;

/** A 33-bit PTS/DTS from its 5-byte field: '001x' or '0011'/'0001', then 3 + 15 + 15 bits with marker bits. */
const readTimestamp = (b: Uint8Array, at: number): number =>
	((b[at]! >> 1) & 0x07) * 2 ** 30 + // PTS[32..30]
	(((b[at + 1]! << 7) | (b[at + 2]! >> 1)) << 15) + // PTS[29..15]
	((b[at + 3]! << 7) | (b[at + 4]! >> 1)); // PTS[14..0]

/** A difference of two 33-bit values taken modulo 2^33 into [−2^32, 2^32): PTS may wrap apart from DTS. */
const signedDelta = (delta: number): number =>
	delta >= TWO_POW_32 ? delta - TWO_POW_33 : delta < -TWO_POW_32 ? delta + TWO_POW_33 : delta;
