/**
 * Cuts a byte stream, arriving in chunks of any size, into 188-byte MPEG-TS packets
 * (ISO/IEC 13818-1 §2.4.3.2) and regains sync after garbage or a truncated packet.
 *
 * While locked, packets are handed out as (chunk, offset) with no copy; only the < 188 bytes
 * left at the end of a chunk are kept for the next one. Sync is (re)gained where a 0x47 sync
 * byte is followed by another one 188 bytes later (and a third, when the bytes are there);
 * skipped bytes are counted, never thrown.
 */
import type { DemuxStats } from '../../../src/core/media-receiver.ts';

export interface TsPacketListener {
	/** One packet at `data[offset, offset + 188)`, only valid during the call. */
	tsPacket(data: Uint8Array, offset: number): void;
	/** Sync was lost after the last packet: that packet may have been cut short and filled with what followed. */
	syncLost(): void;
}

export const TS_PACKET_SIZE = 188;
const SYNC_BYTE = 0x47;

export class TsPacketReader {
	readonly #listener: TsPacketListener;
	/** Bytes of a packet (or of an unconfirmed sync candidate) left over from the previous chunk. */
	readonly #carry = new Uint8Array(TS_PACKET_SIZE);
	#carryLength = 0;
	#locked = false;
	/** Counts bytes skipped to find sync and bytes of a packet cut short at the end of the input. */
	readonly #stats: DemuxStats;

	constructor(listener: TsPacketListener, stats: DemuxStats) {
		this.#listener = listener;
		this.#stats = stats;
	}

	push(chunk: Uint8Array): void {
		let data = chunk;
		let pos = 0;
		if (this.#carryLength > 0) {
			const need = TS_PACKET_SIZE - this.#carryLength;
			if (this.#locked && this.#carry[0] !== SYNC_BYTE) this.#loseSync();
			if (this.#locked && chunk.length >= need) {
				// The common case: complete the packet begun in the previous chunk and carry on in this one.
				this.#carry.set(chunk.subarray(0, need), this.#carryLength);
				this.#carryLength = 0;
				this.#listener.tsPacket(this.#carry, 0);
				pos = need;
			} else if (this.#locked) {
				this.#carry.set(chunk, this.#carryLength);
				this.#carryLength += chunk.length;
				return;
			} else {
				// Searching for sync across the chunk boundary: rare, so a joined copy is fine.
				data = new Uint8Array(this.#carryLength + chunk.length);
				data.set(this.#carry.subarray(0, this.#carryLength));
				data.set(chunk, this.#carryLength);
				this.#carryLength = 0;
			}
		}
		this.#read(data, pos);
	}

	/** End of input: a whole packet left over is read unconfirmed; a partial one is counted as skipped. */
	end(): void {
		if (this.#carryLength === TS_PACKET_SIZE && this.#carry[0] === SYNC_BYTE) {
			this.#listener.tsPacket(this.#carry, 0);
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
				while (pos + TS_PACKET_SIZE <= length && data[pos] === SYNC_BYTE) {
					this.#listener.tsPacket(data, pos);
					pos += TS_PACKET_SIZE;
				}
				if (pos + TS_PACKET_SIZE > length) break;
				this.#loseSync(); // a packet that does not start with the sync byte
			}
			const candidate = this.#findSync(data, pos);
			this.#stats.skippedBytes += candidate - pos;
			pos = candidate;
			if (pos + TS_PACKET_SIZE >= length) break; // cannot confirm yet: keep the tail for the next chunk
			this.#locked = true;
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
	 * First position ≥ `from` whose sync byte is confirmed by the next packet's (and the one after,
	 * when present), or the first unconfirmable sync byte near the end, or the end.
	 */
	#findSync(data: Uint8Array, from: number): number {
		const length = data.length;
		for (let p = from; p < length; p++) {
			if (data[p] !== SYNC_BYTE) continue;
			const next = p + TS_PACKET_SIZE;
			if (next >= length) return p;
			if (data[next] !== SYNC_BYTE) continue;
			const third = next + TS_PACKET_SIZE;
			if (third >= length || data[third] === SYNC_BYTE) return p;
		}
		return length;
	}
}
