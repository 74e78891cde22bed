import { TapedeckError } from '../core/errors.ts';

/**
 * Reads a bit string most-significant bit first, as the H.264/H.265/AAC syntax tables are written:
 * `u(n)` is `readBits(n)`, `ue(v)`/`se(v)` are the exp-Golomb codes (ITU-T H.264 §9.1).
 * Meant for headers and parameter sets, not payloads: values are built with arithmetic so
 * `readBits(32)` stays unsigned.
 */
export class BitReader {
	readonly #data: Uint8Array;
	readonly #end: number;
	#bit: number;

	constructor(data: Uint8Array, byteOffset = 0, byteEnd = data.length) {
		this.#data = data;
		this.#bit = byteOffset * 8;
		this.#end = byteEnd * 8;
	}

	/** Bits left before the end. */
	get bitsLeft(): number {
		return this.#end - this.#bit;
	}

	/** Position in bits from the start of the data. */
	get bitPosition(): number {
		return this.#bit;
	}

	readBit(): number {
		if (this.#bit >= this.#end) throw overrun(1);
		const byte = this.#data[this.#bit >> 3] ?? 0;
		const bit = (byte >> (7 - (this.#bit & 7))) & 1;
		this.#bit++;
		return bit;
	}

	readFlag(): boolean {
		return this.readBit() === 1;
	}

	/** `u(n)` for 0 ≤ n ≤ 32. */
	readBits(n: number): number {
		if (n > this.bitsLeft) throw overrun(n);
		let value = 0;
		for (let i = 0; i < n; i++) value = value * 2 + this.readBit();
		return value;
	}

	skipBits(n: number): void {
		if (n > this.bitsLeft) throw overrun(n);
		this.#bit += n;
	}

	/** `ue(v)`: unsigned exp-Golomb. Codes longer than 32 leading zeros are corrupt by definition. */
	readUe(): number {
		let zeros = 0;
		while (this.readBit() === 0) {
			if (++zeros > 32) throw new TapedeckError('corrupt_input', 'exp-Golomb code has more than 32 leading zero bits');
		}
		return 2 ** zeros - 1 + this.readBits(zeros);
	}

	/** `se(v)`: signed exp-Golomb, mapped 1 → 1, 2 → −1, 3 → 2, … */
	readSe(): number {
		const k = this.readUe();
		return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
	}
}

const overrun = (n: number): TapedeckError =>
	new TapedeckError('corrupt_input', `bit string ends before a ${n}-bit field: the header is truncated`);
