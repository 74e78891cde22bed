import { randomBytes } from 'node:crypto';

/**
 * A 24-hex-digit id shaped like a MongoDB ObjectId (4 bytes of seconds since the epoch, then 8 random
 * bytes), the id format Callaba's API shows; sorting ids sorts them roughly by creation time.
 */
export const newObjectId = (now: Date = new Date()): string =>
	Math.floor(now.getTime() / 1000)
		.toString(16)
		.padStart(8, '0') + randomBytes(8).toString('hex');

/** A random id of `length` letters and digits (OME's 16-character transaction ids). */
export const randomToken = (length: number): string => {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	const bytes = randomBytes(length);
	let out = '';
	for (const byte of bytes) out += alphabet[byte % alphabet.length];
	return out;
};
