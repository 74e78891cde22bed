/**
 * Cuts a byte stream, arriving in chunks of any size, into 188-byte MPEG-TS packets
 * (ISO/IEC 13818-1 §2.4.3.2) and regains sync after garbage or a truncated packet. Packets may sit
 * in 192-byte units (M2TS/BDAV: a 4-byte TP_extra_header before each) or 204-byte ones (16 bytes
 * of Reed-Solomon parity after each): the stride is found with the sync.
 *
 * While locked, packets are handed out as (chunk, offset) with no copy; only the < 188 bytes
 * left at the end of a chunk are kept for the next one. Sync is (re)gained where a 0x47 sync
 * byte is followed by another one a stride later (and a third, when the bytes are there);
 * skipped bytes are counted, never thrown.
 */
import { M2TS_PACKET_SIZE, TS_PACKET_SIZE, TS_RS_PACKET_SIZE, TS_SYNC_BYTE } from '../../../src/codec/mpeg-ts.ts';
import type { DemuxStats } from '../../../src/core/media-receiver.ts';

export interface TsPacketListener {
	/** One packet at `data[offset, offset + 188)`, only valid during the call. */
	tsPacket(data: Uint8Array, offset: number): void;
	/** Sync was lost after the last packet: that packet may have been cut short and filled with what followed. */
	syncLost(): void;
}

/** The packet strides recognised, most common first. */
const STRIDES = [TS_PACKET_SIZE, M2TS_PACKET_SIZE, TS_RS_PACKET_SIZE] as const;

export class TsPacketReader {
	readonly #listener: TsPacketListener;
	/** Bytes of a packet (or of an unconfirmed sync candidate, up to the longest stride) left from the previous chunk. */
	readonly #carry = new Uint8Array(TS_RS_PACKET_SIZE);
	#carryLength = 0;
	#locked = false;
	/** Bytes from one sync byte to the next: 188, 192 or 204. */
	#stride: number = TS_PACKET_SIZE;
	/** Bytes between packets (M2TS header, parity) still to skip at the start of the next chunk. */
	#skip = 0;
	/** Set by `#findSync`: whether its candidate was confirmed, and at which stride. */
	#confirmed = false;
	#foundStride: number = TS_PACKET_SIZE;
	/** Counts bytes skipped to find sync and bytes of a packet cut short at the end of the input. */
	readonly #stats: DemuxStats;

	constructor(listener: TsPacketListener, stats: DemuxStats) {
		this.#listener = listener;
		this.#stats = stats;
	}

	/** Bytes per packet unit in the input: 188, 192 (M2TS) or 204 (with parity). */
	get packetSize(): number {
		return this.#stride;
	}

	push(chunk: Uint8Array): void {
		let data = chunk;
		let pos = Math.min(this.#skip, chunk.length);
		this.#skip -= pos;
		if (pos === chunk.length) return;
		if (this.#carryLength > 0) {
			const need = TS_PACKET_SIZE - this.#carryLength;
			if (this.#locked && this.#carry[0] !== TS_SYNC_BYTE) this.#loseSync();
			if (this.#locked && chunk.length - pos >= need) {
				// The common case: complete the packet begun in the previous chunk and carry on in this one.
				this.#carry.set(chunk.subarray(pos, pos + need), this.#carryLength);
				this.#carryLength = 0;
				this.#listener.tsPacket(this.#carry, 0);
				pos += need + this.#stride - TS_PACKET_SIZE;
				if (pos >= chunk.length) {
					this.#skip = pos - chunk.length;
					return;
				}
			} else if (this.#locked) {
				this.#carry.set(chunk.subarray(pos), this.#carryLength);
				this.#carryLength += chunk.length - pos;
				return;
			} else {
				// Searching for sync across the chunk boundary: rare, so a joined copy is fine.
				data = new Uint8Array(this.#carryLength + chunk.length - pos);
				data.set(this.#carry.subarray(0, this.#carryLength));
				data.set(chunk.subarray(pos), this.#carryLength);
				this.#carryLength = 0;
				pos = 0;
			}
		}
		this.#read(data, pos);
	}

	/** End of input: a whole packet left over is read unconfirmed; a partial one is counted as skipped. */
	end(): void {
		if (this.#carryLength >= TS_PACKET_SIZE && this.#carry[0] === TS_SYNC_BYTE) {
			this.#listener.tsPacket(this.#carry, 0);
			this.#stats.skippedBytes += this.#carryLength - TS_PACKET_SIZE;
		} else {
			this.#stats.skippedBytes += this.#carryLength;
		}
		this.#carryLength = 0;
	}

	#read(data: Uint8Array, from: number): void {
		const length = data.length;
		let pos = from;
		for (;;) {
			if (this.#locked) {
				const stride = this.#stride;
				while (pos + TS_PACKET_SIZE <= length && data[pos] === TS_SYNC_BYTE) {
					this.#listener.tsPacket(data, pos);
					pos += stride;
				}
				if (pos >= length) {
					this.#skip = pos - length; // the gap after the last packet runs into the next chunk
					return;
				}
				if (pos + TS_PACKET_SIZE > length) break;
				this.#loseSync(); // a packet that does not start with the sync byte
			}
			const candidate = this.#findSync(data, pos);
			this.#stats.skippedBytes += candidate - pos;
			pos = candidate;
			if (!this.#confirmed) break; // cannot confirm yet: keep the tail for the next chunk
			this.#locked = true;
			this.#stride = this.#foundStride;
		}
		const rest = length - pos;
		if (rest > 0) {
			this.#carry.set(data.subarray(pos), 0);
			this.#carryLength = rest;
		}
	}

	#loseSync(): void {
		this.#locked = false;
		this.#listener.syncLost();
	}

	/**
	 * First position ≥ `from` whose sync byte is confirmed by the next packet's at one of the strides
	 * (and the one after, when present), or the first sync byte near the end that the bytes there
	 * cannot confirm yet, or the end. Sets `#confirmed` and `#foundStride`.
	 */
	#findSync(data: Uint8Array, from: number): number {
		const length = data.length;
		this.#confirmed = false;
		for (let p = from; p < length; p++) {
			if (data[p] !== TS_SYNC_BYTE) continue;
			let undecided = false;
			for (const stride of STRIDES) {
				const next = p + stride;
				if (next >= length) {
					undecided = true;
					continue;
				}
				if (data[next] !== TS_SYNC_BYTE) continue;
				const third = next + stride;
				if (third >= length || data[third] === TS_SYNC_BYTE) {
					this.#confirmed = true;
					this.#foundStride = stride;
					return p;
				}
			}
			if (undecided) return p;
		}
		return length;
	}
}
