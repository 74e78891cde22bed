/**
 * The timestamp fields a TS muxer writes (ISO/IEC 13818-1 §2.4.3.5, §2.4.3.7): 33-bit values
 * modulo 2^33. Bit 32 is split off with division: bitwise operators would truncate to 32 bits.
 */
import { TWO_POW_33 } from '../../src/core/time.ts';

/** A 33-bit PTS/DTS field (§2.4.3.7): 4-bit prefix, bits 32..30, marker, 29..15, marker, 14..0, marker. */
export const writeTimestamp = (b: Uint8Array, at: number, prefix: number, value: number): void => {
	const v = ((value % TWO_POW_33) + TWO_POW_33) % TWO_POW_33;
	const low = v % 2 ** 30; // bits 29..0 fit a 32-bit integer
	b[at] = (prefix << 4) | (Math.floor(v / 2 ** 30) << 1) | 1;
	b[at + 1] = (low >> 22) & 0xff;
	b[at + 2] = ((low >> 14) & 0xfe) | 1;
	b[at + 3] = (low >> 7) & 0xff;
	b[at + 4] = ((low << 1) & 0xfe) | 1;
};

/** program_clock_reference (§2.4.3.5): 33-bit base at 90 kHz, 6 reserved bits, 9-bit extension 0. */
export const writePcr = (b: Uint8Array, at: number, pcr: number): void => {
	const base = ((pcr % TWO_POW_33) + TWO_POW_33) % TWO_POW_33;
	b[at] = Math.floor(base / 2 ** 25) & 0xff;
	b[at + 1] = Math.floor(base / 2 ** 17) & 0xff;
	b[at + 2] = Math.floor(base / 2 ** 9) & 0xff;
	b[at + 3] = Math.floor(base / 2) & 0xff;
	b[at + 4] = ((base % 2) << 7) | 0x7e; // base bit 0, reserved '111111', extension bit 8 = 0
	b[at + 5] = 0; // extension bits 7..0
};
