/**
 * Writes a bit string most-significant bit first (the mirror of BitReader), growing as needed.
 * For headers and configs; values are split with arithmetic so 32-bit fields stay exact.
 */
export class BitWriter {
	#bytes: Uint8Array;
	#bit = 0;

	constructor(initialBytes = 32) {
		this.#bytes = new Uint8Array(Math.max(1, initialBytes));
	}

	writeBit(bit: number): void {
		const index = this.#bit >> 3;
		if (index >= this.#bytes.length) this.#grow();
		if (bit) this.#bytes[index] = (this.#bytes[index] ?? 0) | (0x80 >> (this.#bit & 7));
		this.#bit++;
	}

	writeFlag(flag: boolean): void {
		this.writeBit(flag ? 1 : 0);
	}

	/** `u(n)` for 0 ≤ n ≤ 32 (the low n bits of `value`). */
	writeBits(value: number, n: number): void {
		for (let i = n - 1; i >= 0; i--) this.writeBit(Math.floor(value / 2 ** i) % 2);
	}

	/** `ue(v)`: unsigned exp-Golomb (ITU-T H.264 §9.1). */
	writeUe(value: number): void {
		const codeNum = value + 1;
		const length = Math.floor(Math.log2(codeNum));
		this.writeBits(0, length);
		this.writeBits(codeNum, length + 1);
	}

	/** `se(v)`: signed exp-Golomb. */
	writeSe(value: number): void {
		this.writeUe(value > 0 ? 2 * value - 1 : -2 * value);
	}

	/** The bytes written so far (the last one zero-padded), as a copy the caller owns. */
	toBytes(): Uint8Array {
		return this.#bytes.slice(0, Math.ceil(this.#bit / 8));
	}

	#grow(): void {
		const next = new Uint8Array(this.#bytes.length * 2);
		next.set(this.#bytes);
		this.#bytes = next;
	}
}
