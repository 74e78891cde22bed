/**
 * A growable big-endian byte buffer for writing ISO BMFF boxes (ISO/IEC 14496-12 §4.2):
 * `begin` writes a size placeholder and the fourcc, `end` patches the size once the children
 * are written. One writer is reused for every moov/moof a muxer builds, so box writing
 * allocates only when the buffer has to grow.
 *
 * 64-bit fields are split into two 32-bit halves with arithmetic, never with bitwise operators
 * (house rule: values past 2^32 lose their high bits under `>>>`).
 */

import { TapedeckError } from '../../src/core/errors.ts';
import { TWO_POW_32 } from '../../src/core/time.ts';

export class BoxWriter {
	#bytes: Uint8Array;
	#view: DataView;
	#length = 0;

	constructor(capacity = 4096) {
		this.#bytes = new Uint8Array(capacity);
		this.#view = new DataView(this.#bytes.buffer);
	}

	/** Bytes written so far. */
	get length(): number {
		return this.#length;
	}

	/** A view of the bytes written; valid until the next write or `reset`. */
	bytes(): Uint8Array {
		return this.#bytes.subarray(0, this.#length);
	}

	reset(): void {
		this.#length = 0;
	}

	u8(value: number): void {
		this.#reserve(1);
		this.#bytes[this.#length++] = value;
	}

	u16(value: number): void {
		this.#reserve(2);
		this.#view.setUint16(this.#length, value);
		this.#length += 2;
	}

	i16(value: number): void {
		this.#reserve(2);
		this.#view.setInt16(this.#length, value);
		this.#length += 2;
	}

	u24(value: number): void {
		this.u8(Math.floor(value / 65536) % 256);
		this.u16(value % 65536);
	}

	u32(value: number): void {
		this.#reserve(4);
		this.#view.setUint32(this.#length, value);
		this.#length += 4;
	}

	i32(value: number): void {
		this.#reserve(4);
		this.#view.setInt32(this.#length, value);
		this.#length += 4;
	}

	/** An unsigned 64-bit integer from a double (exact up to 2^53). */
	u64(value: number): void {
		const high = Math.floor(value / TWO_POW_32);
		this.u32(high);
		this.u32(value - high * TWO_POW_32);
	}

	/** A four-character code; `type` must be 4 ASCII characters. */
	fourcc(type: string): void {
		this.#reserve(4);
		for (let i = 0; i < 4; i++) this.#bytes[this.#length++] = type.charCodeAt(i);
	}

	write(data: Uint8Array): void {
		this.#reserve(data.length);
		this.#bytes.set(data, this.#length);
		this.#length += data.length;
	}

	zeros(count: number): void {
		this.#reserve(count);
		this.#bytes.fill(0, this.#length, this.#length + count);
		this.#length += count;
	}

	/** Starts a box (`size` patched by `end`); returns its start for `end`. */
	begin(type: string): number {
		const start = this.#length;
		this.u32(0); // size, patched by end()
		this.fourcc(type); // type
		return start;
	}

	/** Starts a FullBox (ISO/IEC 14496-12 §4.2): a box with a version byte and 24 flag bits. */
	beginFull(type: string, version: number, flags: number): number {
		const start = this.begin(type);
		this.u8(version); // version
		this.u24(flags); // flags
		return start;
	}

	/** Ends the box started at `start` by patching its 32-bit size. */
	end(start: number): void {
		const size = this.#length - start;
		if (size >= TWO_POW_32) {
			throw new TapedeckError('internal', `box at ${start} is ${size} bytes: past the 32-bit size field`);
		}
		this.#view.setUint32(start, size);
	}

	/** Overwrites a 32-bit field written earlier (entry counts known only after the entries). */
	patchU32(position: number, value: number): void {
		this.#view.setUint32(position, value);
	}

	#reserve(extra: number): void {
		const needed = this.#length + extra;
		if (needed <= this.#bytes.length) return;
		let capacity = this.#bytes.length * 2;
		while (capacity < needed) capacity *= 2;
		const next = new Uint8Array(capacity);
		next.set(this.#bytes.subarray(0, this.#length));
		this.#bytes = next;
		this.#view = new DataView(next.buffer);
	}
}
