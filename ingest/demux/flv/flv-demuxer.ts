/**
 * FLV byte stream → tracks and packets.
 *
 * Reference: Adobe "Video File Format Specification" v10.1 §E.2 (FLV header), §E.3 (FLV file
 * body: PreviousTagSize, FLVTAG), §E.4.1 (FLVTAG header). This class only frames the bytes:
 * header, then repeated `PreviousTagSize(4) · TagType(1) DataSize(3) Timestamp(3)
 * TimestampExtended(1) StreamID(3) · body`; `FlvMediaAssembler` turns tag bodies into media,
 * the same way for RTMP messages.
 */
import type { AmfObject } from '../../../src/bytes/amf0.ts';
import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import { FLV_FILE_HEADER_BYTES, FlvHeaderFlag, FlvTagType } from '../../../src/codec/flv.ts';
import {
	type Demuxer,
	type DemuxStats,
	emptyDemuxStats,
	type MediaReceiver,
} from '../../../src/core/media-receiver.ts';
import { FlvMediaAssembler } from './flv-media-assembler.ts';

/** PreviousTagSize (4) + the 11-byte FLVTAG header. */
const UNIT_HEADER_BYTES = 15;

export class FlvDemuxer implements Demuxer {
	readonly stats: DemuxStats = emptyDemuxStats();
	readonly #assembler: FlvMediaAssembler;
	/** Bytes of a unit (header or tag) split across pushes. */
	readonly #pending = new GrowableBuffer(1 << 16);
	/** Bytes still to discard after the file header (DataOffset beyond 9). */
	#skip = 0;
	#sawFileHeader = false;
	/** After garbage, tag headers must look plausible before we trust their sizes again. */
	#resyncing = false;

	constructor(receiver: MediaReceiver) {
		this.#assembler = new FlvMediaAssembler(receiver, this.stats);
	}

	/** The last `onMetaData` seen, as decoded AMF0. */
	get metadata(): AmfObject | undefined {
		return this.#assembler.metadata;
	}

	push(chunk: Uint8Array): void {
		this.stats.bytes += chunk.length;
		let at = 0;
		while (at < chunk.length) {
			if (this.#skip > 0) {
				const n = Math.min(this.#skip, chunk.length - at);
				this.#skip -= n;
				at += n;
				continue;
			}
			const pending = this.#pending;
			if (pending.length === 0) {
				// Fast path: whole units straight from the chunk, no copy.
				const need = this.#unitLength(chunk, at, chunk.length - at);
				if (need === 0) {
					this.#dropByte();
					at++;
					continue;
				}
				if (chunk.length - at < need) {
					pending.append(chunk, at, chunk.length);
					return;
				}
				this.#consume(chunk.subarray(at, at + need));
				at += need;
				continue;
			}
			// Slow path: complete the unit started in an earlier chunk.
			const need = this.#unitLength(pending.bytes, 0, pending.length);
			if (need === 0) {
				this.#dropPendingByte();
				continue;
			}
			const take = Math.min(need - pending.length, chunk.length - at);
			if (take > 0) {
				pending.append(chunk, at, at + take);
				at += take;
			}
			// The header may just have completed and revealed a longer unit (or garbage): measure again.
			const full = this.#unitLength(pending.bytes, 0, pending.length);
			if (full === 0 || pending.length < full) continue;
			this.#consume(pending.view());
			pending.length = 0;
		}
		this.#drainPending();
	}

	end(): void {
		// A unit cut short by the end of input is counted, not delivered: its body is incomplete.
		if (this.#pending.length > 4) this.stats.skippedBytes += this.#pending.length;
		this.#pending.length = 0;
		this.#assembler.end();
	}

	/**
	 * Processes units that are already complete in the pending buffer (after a resync shift), so
	 * a push never leaves a whole unit waiting for the next one.
	 */
	#drainPending(): void {
		const pending = this.#pending;
		while (pending.length > 0) {
			const need = this.#unitLength(pending.bytes, 0, pending.length);
			if (need === 0) {
				this.#dropPendingByte();
				continue;
			}
			if (pending.length < need) return;
			const unit = pending.bytes.slice(0, need);
			pending.bytes.copyWithin(0, need, pending.length);
			pending.length -= need;
			this.#consume(unit);
		}
	}

	/**
	 * Length of the unit starting at `at`: the header's size until enough is there to read the
	 * real length, or 0 when the bytes cannot start a unit (then one byte is dropped to resync).
	 */
	#unitLength(data: Uint8Array, at: number, available: number): number {
		if (!this.#sawFileHeader) {
			if (available < FLV_FILE_HEADER_BYTES) return FLV_FILE_HEADER_BYTES;
			return data[at] === 0x46 && data[at + 1] === 0x4c && data[at + 2] === 0x56 ? FLV_FILE_HEADER_BYTES : 0;
		}
		if (available < UNIT_HEADER_BYTES) return UNIT_HEADER_BYTES;
		const typeByte = data[at + 4]!;
		const type = typeByte & 0x1f;
		const streamId = data[at + 12]! | data[at + 13]! | data[at + 14]!;
		// §E.4.1: Reserved UB[2] must be 0; Filter (bit 5) marks encrypted tags, which we cannot read anyway.
		if (
			(type !== FlvTagType.Audio && type !== FlvTagType.Video && type !== FlvTagType.Script) ||
			typeByte & 0xe0 ||
			streamId !== 0
		) {
			return 0;
		}
		if (this.#resyncing && !this.#plausibleAfterGarbage(data, at)) return 0;
		const dataSize = (data[at + 5]! << 16) | (data[at + 6]! << 8) | data[at + 7]!;
		return UNIT_HEADER_BYTES + dataSize;
	}

	/** Once lost, a PreviousTagSize must equal a tag header plus some body, and a tag must be non-empty. */
	#plausibleAfterGarbage(data: Uint8Array, at: number): boolean {
		const previous = data[at]! * 0x1000000 + ((data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!);
		const dataSize = (data[at + 5]! << 16) | (data[at + 6]! << 8) | data[at + 7]!;
		return (previous === 0 || previous > 11) && dataSize > 0;
	}

	/** A byte that starts no plausible unit: skipped and counted while resyncing. */
	#dropByte(): void {
		this.stats.skippedBytes++;
		this.#resyncing = true;
	}

	/** The same for the byte at the head of the pending buffer, which is shifted out. */
	#dropPendingByte(): void {
		this.#dropByte();
		const pending = this.#pending;
		pending.bytes.copyWithin(0, 1, pending.length);
		pending.length--;
	}

	#consume(unit: Uint8Array): void {
		if (!this.#sawFileHeader) {
			this.#sawFileHeader = true;
			const flags = unit[4]!;
			const dataOffset = unit[5]! * 0x1000000 + ((unit[6]! << 16) | (unit[7]! << 8) | unit[8]!);
			this.#skip = Math.max(0, Math.min(dataOffset, 1 << 20) - FLV_FILE_HEADER_BYTES);
			this.#assembler.expect((flags & FlvHeaderFlag.Video) !== 0, (flags & FlvHeaderFlag.Audio) !== 0);
			return;
		}
		this.#resyncing = false;
		const type = unit[4]! & 0x1f;
		// §E.4.1: Timestamp UI24 holds the low bits, TimestampExtended UI8 the high 8 bits of a 32-bit ms clock.
		const timestamp = unit[11]! * 0x1000000 + ((unit[8]! << 16) | (unit[9]! << 8) | unit[10]!);
		const body = unit.subarray(UNIT_HEADER_BYTES);
		if (type === FlvTagType.Video) this.#assembler.video(body, timestamp);
		else if (type === FlvTagType.Audio) this.#assembler.audio(body, timestamp);
		else this.#assembler.script(body);
	}
}
