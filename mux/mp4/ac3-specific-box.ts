/**
 * The AC-3 specific box payload (`dac3`, ETSI TS 102 366 Annex F.4) built from an AC-3 frame's
 * syncinfo and the start of its bsi (§4.4.1–4.4.2). Tracks carry no AC-3 config on the bus
 * (`Track.config` is empty), so the muxer builds dac3 from the first frame, or takes the three
 * dac3 bytes as they are when a source put them in `Track.config`.
 */
import { TapedeckError } from '../../src/core/errors.ts';

/** syncinfo (5 bytes) + bsi up to lfeon fits in 8 bytes. */
export const AC3_HEADER_BYTES = 8;

export const ac3SpecificBox = (config: Uint8Array, firstFrame: Uint8Array | undefined): Uint8Array => {
	if (config.length === 3) return config;
	if (!firstFrame || firstFrame.length < AC3_HEADER_BYTES || firstFrame[0] !== 0x0b || firstFrame[1] !== 0x77) {
		throw new TapedeckError(
			'corrupt_input',
			'AC-3 track: the first frame does not start with syncword 0x0B77, so dac3 cannot be built',
		);
	}
	const fscod = (firstFrame[4] as number) >> 6; // fscod (2), after syncword (16) and crc1 (16)
	const frmsizecod = (firstFrame[4] as number) & 0x3f; // frmsizecod (6)
	// bsi: bsid (5) bsmod (3) acmod (3), then optional mix levels, then lfeon (1)
	let bits = 0;
	for (let i = 5; i < AC3_HEADER_BYTES; i++) bits = bits * 256 + (firstFrame[i] as number);
	let cursor = 24;
	const read = (count: number): number => {
		cursor -= count;
		return Math.floor(bits / 2 ** cursor) % 2 ** count;
	};
	const bsid = read(5);
	const bsmod = read(3);
	const acmod = read(3);
	if ((acmod & 1) !== 0 && acmod !== 1) read(2); // cmixlev
	if ((acmod & 4) !== 0) read(2); // surmixlev
	if (acmod === 2) read(2); // dsurmod
	const lfeon = read(1);
	const bitRateCode = frmsizecod >> 1;
	// dac3: fscod (2) bsid (5) bsmod (3) acmod (3) lfeon (1) bit_rate_code (5) reserved (5)
	const packed =
		fscod * 2 ** 22 + bsid * 2 ** 17 + bsmod * 2 ** 14 + acmod * 2 ** 11 + lfeon * 2 ** 10 + bitRateCode * 32;
	return Uint8Array.of(packed >> 16, (packed >> 8) & 0xff, packed & 0xff);
};
