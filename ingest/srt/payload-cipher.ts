/**
 * AES-CTR payload encryption of SRT data packets (HaiCrypt, draft-sharabayko-srt §6.2). The
 * counter block is the salt's first 14 bytes with the 31-bit packet sequence number XORed into
 * bytes 10–13, and a 16-bit block counter in bytes 14–15, as libsrt builds it. Only the payload is
 * encrypted. Encryption and decryption are the same operation.
 *
 * The keystream is made with one reusable AES-ECB cipher per key over a scratch buffer of counter
 * blocks, so no cipher object is created per packet.
 */
import { type Cipher, createCipheriv } from 'node:crypto';
import { KeyFlag } from './srt-packet.ts';

/** Largest payload: 1456 bytes = 91 blocks (MSS 1500 − IP/UDP − SRT header), rounded up. */
const MAX_BLOCKS = 92;

export class PayloadCipher {
	readonly #counters = Buffer.alloc(MAX_BLOCKS * 16);
	#even: Cipher | undefined;
	#odd: Cipher | undefined;
	#salt = new Uint8Array(16);

	/** Installs keys (a refresh carries both, or only the next one); the other slot is kept for late retransmissions. */
	setKeys(salt: Uint8Array, even: Uint8Array | undefined, odd: Uint8Array | undefined): void {
		this.#salt = Uint8Array.from(salt);
		if (even !== undefined) this.#even = ecb(even);
		if (odd !== undefined) this.#odd = ecb(odd);
	}

	get hasKeys(): boolean {
		return this.#even !== undefined || this.#odd !== undefined;
	}

	/**
	 * XORs the keystream into `payload` in place. Returns false (payload untouched) when the key the
	 * packet names is not installed or the payload is larger than any SRT payload can be.
	 */
	apply(payload: Uint8Array, seq: number, keyFlag: number): boolean {
		const cipher = keyFlag === KeyFlag.even ? this.#even : keyFlag === KeyFlag.odd ? this.#odd : undefined;
		const blocks = Math.ceil(payload.length / 16);
		if (cipher === undefined || blocks > MAX_BLOCKS) return false;
		const c = this.#counters;
		const s = this.#salt;
		for (let i = 0; i < blocks; i++) {
			const o = i * 16;
			c.set(s.subarray(0, 14), o);
			c[o + 10] = (s[10] ?? 0) ^ (seq >>> 24);
			c[o + 11] = (s[11] ?? 0) ^ ((seq >>> 16) & 0xff);
			c[o + 12] = (s[12] ?? 0) ^ ((seq >>> 8) & 0xff);
			c[o + 13] = (s[13] ?? 0) ^ (seq & 0xff);
			c[o + 14] = i >>> 8;
			c[o + 15] = i & 0xff;
		}
		const stream = cipher.update(c.subarray(0, blocks * 16));
		let i = 0;
		if (payload.byteOffset % 4 === 0 && stream.byteOffset % 4 === 0) {
			// Four bytes at a time when both views are word-aligned (datagrams usually are): XOR is byte-order blind.
			const words = payload.length >>> 2;
			const p32 = new Int32Array(payload.buffer, payload.byteOffset, words);
			const s32 = new Int32Array(stream.buffer, stream.byteOffset, words);
			for (; i < words; i++) p32[i] = (p32[i] ?? 0) ^ (s32[i] ?? 0);
			i = words * 4;
		}
		for (; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (stream[i] ?? 0);
		return true;
	}
}

const ecb = (key: Uint8Array): Cipher => {
	const c = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
	c.setAutoPadding(false);
	return c;
};
