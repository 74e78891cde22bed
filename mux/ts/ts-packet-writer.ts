import { copyFromBuffer } from '../../src/bytes/copy-bytes.ts';
import { TS_PACKET_SIZE, TS_SYNC_BYTE } from '../../src/codec/mpeg-ts.ts';
import type { Sink } from '../../src/sink/sink.ts';
import { writePcr } from './ts-fields.ts';

/** A PID being written, with the continuity_counter of its next packet with payload. */
export type PidState = { readonly pid: number; continuity: number };

/** adaptation_field flags (ISO/IEC 13818-1 §2.4.3.4). */
export const DISCONTINUITY = 0x80;
export const RANDOM_ACCESS = 0x40;
export const PCR_FLAG = 0x10;

/** TS packets gathered before one `sink.write`. */
const BATCH_PACKETS = 512;

/**
 * Cuts PES packets and sections into 188-byte transport packets (ISO/IEC 13818-1 §2.4.3.2):
 * headers with continuity counters, adaptation fields with flags, PCR and stuffing. Packets are
 * written straight into a batch of 512 that goes to the sink in one `write` and is then reused
 * (the sink copies); nothing is allocated per TS packet.
 */
export class TsPacketWriter {
	readonly #sink: Sink;
	readonly #batch = new Uint8Array(BATCH_PACKETS * TS_PACKET_SIZE);
	#batchLength = 0;
	/** Bytes handed to the sink so far. */
	written = 0;

	constructor(sink: Sink) {
		this.#sink = sink;
	}

	/**
	 * `data[0, length)` (a PES) on `pid`; the first packet has an adaptation field with `flags`
	 * (and the PCR `pcr` when PCR_FLAG is among them) unless `flags` is 0; the last is stuffed.
	 */
	writePes(pid: PidState, data: Uint8Array, length: number, flags: number, pcr: number): void {
		const source = data.buffer; // read once per PES: `.buffer` is a getter that calls into C++
		const base = data.byteOffset;
		let at = 0;
		for (let first = true; at < length; first = false) {
			const packetFlags = first ? flags : 0;
			// adaptation field bytes including adaptation_field_length: flags (+ PCR), then stuffing for the last packet
			let adaptation = packetFlags ? (packetFlags & PCR_FLAG ? 8 : 2) : 0;
			const room = TS_PACKET_SIZE - 4 - adaptation;
			if (length - at < room) adaptation += room - (length - at);
			const start = this.#header(pid, first, adaptation, packetFlags, pcr);
			const count = this.#batchLength - start;
			copyFromBuffer(source, base + at, this.#batch, start, count);
			at += count;
		}
	}

	/**
	 * A whole section (PSI, SCTE-35) on `pid` from the start of a packet: pointer_field 0, then the
	 * section across as many packets as it needs, the last filled with 0xFF stuffing (§2.4.4.1–2).
	 */
	writeSection(pid: PidState, section: Uint8Array, length = section.length): void {
		let at = 0;
		for (let first = true; at < length; first = false) {
			let w = this.#header(pid, first, 0, 0, 0);
			const b = this.#batch;
			if (first) b[w++] = 0; // pointer_field
			const count = Math.min(length - at, this.#batchLength - w);
			b.set(section.subarray(at, at + count), w);
			b.fill(0xff, w + count, this.#batchLength);
			at += count;
		}
	}

	/** A packet with only an adaptation field and a PCR; the continuity_counter does not advance. */
	writePcrOnly(pid: PidState, pcr: number, flags: number): void {
		const o = this.#nextPacket();
		const b = this.#batch;
		b[o] = TS_SYNC_BYTE;
		b[o + 1] = pid.pid >> 8; // PID
		b[o + 2] = pid.pid & 0xff;
		b[o + 3] = 0x20 | ((pid.continuity + 15) & 0x0f); // adaptation field only, the last counter used
		this.#adaptationField(o + 4, TS_PACKET_SIZE - 4, flags | PCR_FLAG, pcr);
	}

	flush(): void {
		if (this.#batchLength === 0) return;
		this.#sink.write(this.#batch.subarray(0, this.#batchLength)); // the sink copies: the batch is reused
		this.written += this.#batchLength;
		this.#batchLength = 0;
	}

	/** Starts a packet with payload and an adaptation field of `adaptation` bytes; returns where its payload starts. */
	#header(pid: PidState, unitStart: boolean, adaptation: number, flags: number, pcr: number): number {
		const o = this.#nextPacket();
		const b = this.#batch;
		b[o] = TS_SYNC_BYTE;
		b[o + 1] = (unitStart ? 0x40 : 0) | (pid.pid >> 8); // payload_unit_start_indicator, PID
		b[o + 2] = pid.pid & 0xff;
		b[o + 3] = (adaptation ? 0x30 : 0x10) | pid.continuity; // adaptation_field_control, continuity_counter
		pid.continuity = (pid.continuity + 1) & 0x0f;
		if (adaptation) this.#adaptationField(o + 4, adaptation, flags, pcr);
		return o + 4 + adaptation;
	}

	/** An adaptation field of `size` bytes at `at` (§2.4.3.4): length, flags, PCR if flagged, 0xFF stuffing. */
	#adaptationField(at: number, size: number, flags: number, pcr: number): void {
		const b = this.#batch;
		b[at] = size - 1; // adaptation_field_length
		if (size === 1) return;
		b[at + 1] = flags;
		let w = at + 2;
		if (flags & PCR_FLAG) {
			writePcr(b, w, pcr);
			w += 6;
		}
		b.fill(0xff, w, at + size); // stuffing_byte
	}

	/** Offset of the next free packet slot in the batch, flushing a full batch first. */
	#nextPacket(): number {
		if (this.#batchLength === this.#batch.length) this.flush();
		const offset = this.#batchLength;
		this.#batchLength += TS_PACKET_SIZE;
		return offset;
	}
}
