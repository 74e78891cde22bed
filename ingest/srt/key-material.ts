/**
 * SRT key material (HaiCrypt; draft-sharabayko-srt §3.2.2 and §6.1). A KM message carries the salt
 * and the stream encrypting key(s) (SEK) wrapped (RFC 3394) with a key-encrypting key (KEK) derived
 * from the passphrase: KEK = PBKDF2-HMAC-SHA1(passphrase, last 8 bytes of the salt, 2048, KLen).
 * Layout: 0x12 (V=1, PT=2) · sign 0x2029 · KK · KEKI(32) · cipher · auth · SE · 3 reserved bytes ·
 * SLen/4 · KLen/4 · salt · wrap (8-byte integrity block + one or two keys, even first).
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { TapedeckError } from '../../src/core/errors.ts';

const KM_HEADER_SIZE = 16;
const CIPHER_AES_CTR = 2;
const SE_MPEGTS_SRT = 2;
const PBKDF2_ITERATIONS = 2048;
const WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** KK bits of a KM message: which keys it carries. */
export const KeyFlags = { even: 1, odd: 2, both: 3 } as const;

export type KeyLength = 16 | 24 | 32;

export type KeyMaterialMessage = {
	/** 1 even, 2 odd, 3 both. */
	keyFlags: number;
	cipher: number;
	keyLength: number;
	salt: Uint8Array;
	/** RFC 3394 wrap of the key(s): 8 + n·keyLength bytes. */
	wrapped: Uint8Array;
};

export const isKeyLength = (n: number): n is KeyLength => n === 16 || n === 24 || n === 32;

/** Decodes a KM message; undefined when it is not one (a 1-word KM error state, a foreign cipher, truncation). */
export const decodeKeyMaterial = (data: Uint8Array): KeyMaterialMessage | undefined => {
	if (data.length < KM_HEADER_SIZE || data[0] !== 0x12 || data[1] !== 0x20 || data[2] !== 0x29) return undefined;
	const keyFlags = (data[3] ?? 0) & 3;
	const saltLength = (data[14] ?? 0) * 4;
	const keyLength = (data[15] ?? 0) * 4;
	const keys = keyFlags === KeyFlags.both ? 2 : 1;
	const wrapLength = 8 + keys * keyLength;
	if (keyFlags === 0 || !isKeyLength(keyLength) || saltLength !== 16) return undefined;
	if (data.length < KM_HEADER_SIZE + saltLength + wrapLength) return undefined;
	return {
		keyFlags,
		cipher: data[8] ?? 0,
		keyLength,
		salt: data.subarray(KM_HEADER_SIZE, KM_HEADER_SIZE + saltLength),
		wrapped: data.subarray(KM_HEADER_SIZE + saltLength, KM_HEADER_SIZE + saltLength + wrapLength),
	};
};

export const encodeKeyMaterial = (km: KeyMaterialMessage): Uint8Array => {
	const out = new Uint8Array(KM_HEADER_SIZE + km.salt.length + km.wrapped.length);
	out.set([0x12, 0x20, 0x29, km.keyFlags, 0, 0, 0, 0, km.cipher, 0, SE_MPEGTS_SRT, 0, 0, 0]);
	out[14] = km.salt.length / 4;
	out[15] = km.keyLength / 4;
	out.set(km.salt, KM_HEADER_SIZE);
	out.set(km.wrapped, KM_HEADER_SIZE + km.salt.length);
	return out;
};

/** Passphrases outside 10–80 bytes are refused by libsrt; we refuse them at configuration time. */
export const validatePassphrase = (passphrase: string): void => {
	const n = Buffer.byteLength(passphrase);
	if (n < 10 || n > 80)
		throw new TapedeckError('invalid_argument', `SRT passphrase must be 10 to 80 bytes long, got ${n} bytes`);
};

export const deriveKek = (passphrase: string, salt: Uint8Array, keyLength: number): Buffer =>
	pbkdf2Sync(passphrase, salt.subarray(salt.length - 8), PBKDF2_ITERATIONS, keyLength, 'sha1');

const wrapAlgorithm = (kek: Uint8Array): string => `id-aes${kek.length * 8}-wrap`;

/** RFC 3394 unwrap; undefined when the integrity check fails (wrong passphrase). */
export const unwrapKeys = (kek: Uint8Array, wrapped: Uint8Array): Buffer | undefined => {
	try {
		const d = createDecipheriv(wrapAlgorithm(kek), kek, WRAP_IV);
		return Buffer.concat([d.update(wrapped), d.final()]);
	} catch {
		return undefined;
	}
};

export const wrapKeys = (kek: Uint8Array, keys: Uint8Array): Buffer => {
	const c = createCipheriv(wrapAlgorithm(kek), kek, WRAP_IV);
	return Buffer.concat([c.update(keys), c.final()]);
};

/** Stream keys recovered from (or generated for) a KM message. */
export type StreamKeys = { salt: Uint8Array; even?: Uint8Array; odd?: Uint8Array };

/** Unwraps a KM message with a passphrase; undefined for a wrong passphrase or an unsupported cipher. */
export const openKeyMaterial = (km: KeyMaterialMessage, passphrase: string): StreamKeys | undefined => {
	if (km.cipher !== CIPHER_AES_CTR) return undefined;
	const keys = unwrapKeys(deriveKek(passphrase, km.salt, km.keyLength), km.wrapped);
	if (keys === undefined) return undefined;
	const first = keys.subarray(0, km.keyLength);
	if (km.keyFlags === KeyFlags.both) return { salt: km.salt, even: first, odd: keys.subarray(km.keyLength) };
	return km.keyFlags === KeyFlags.even ? { salt: km.salt, even: first } : { salt: km.salt, odd: first };
};

/** A fresh salt and even SEK, wrapped with the passphrase: what an initiator sends as KMREQ, even when it only receives (libsrt does). */
export const createKeyMaterial = (
	passphrase: string,
	keyLength: KeyLength,
): { message: KeyMaterialMessage; keys: StreamKeys } => {
	const salt = randomBytes(16);
	const sek = randomBytes(keyLength);
	const wrapped = wrapKeys(deriveKek(passphrase, salt, keyLength), sek);
	return {
		message: { keyFlags: KeyFlags.even, cipher: CIPHER_AES_CTR, keyLength, salt, wrapped },
		keys: { salt, even: sek },
	};
};
