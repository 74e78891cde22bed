/**
 * AC-3 (Dolby Digital) sync frame header: what a container needs to describe and frame the
 * stream. Reference: ATSC A/52 §5.3.1 (syncinfo), §5.3.2 (bsi), Table 5.18 (frame sizes).
 */

export type Ac3Header = {
	readonly sampleRate: number;
	/** Full-bandwidth channels from acmod, plus the LFE channel when lfeon is set. */
	readonly channels: number;
	/** Whole sync frame in bytes. */
	readonly frameLength: number;
	readonly bitrate: number;
	/** bsid ≤ 8 for AC-3 proper (E-AC-3 uses 16 and a different header). */
	readonly bsid: number;
	readonly bsmod: number;
	readonly acmod: number;
	readonly lfeon: boolean;
	/** fscod and frmsizecod, as an MP4 dac3 box or a DVB AC-3 descriptor needs them. */
	readonly fscod: number;
	readonly frmsizecod: number;
};

/** Every AC-3 sync frame holds 6 audio blocks of 256 samples. */
export const AC3_SAMPLES_PER_FRAME = 1536;

/** fscod → Hz; 3 is reserved. */
const SAMPLE_RATES = [48000, 44100, 32000];
/** frmsizecod >> 1 → nominal bit rate in kbit/s (Table 5.18). */
const BITRATES = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640];
/** acmod → full-bandwidth channels (Table 5.8). */
const ACMOD_CHANNELS = [2, 1, 2, 3, 3, 4, 4, 5];

/** Parses the sync frame header at `data[at]`; undefined when there is none (or fewer than 7 bytes). */
export const parseAc3Header = (data: Uint8Array, at = 0): Ac3Header | undefined => {
	if (at + 7 > data.length || data[at] !== 0x0b || data[at + 1] !== 0x77) return undefined; // syncword
	const fscod = data[at + 4]! >> 6;
	const frmsizecod = data[at + 4]! & 0x3f;
	const bsid = data[at + 5]! >> 3;
	const kbps = BITRATES[frmsizecod >> 1];
	const sampleRate = SAMPLE_RATES[fscod];
	if (kbps === undefined || sampleRate === undefined || bsid > 10) return undefined;
	// Table 5.18 in 16-bit words: 2 per kbit/s at 48 kHz, 3 at 32 kHz, and at 44.1 kHz the odd codes pad one word
	const words = fscod === 0 ? 2 * kbps : fscod === 2 ? 3 * kbps : Math.floor((kbps * 960) / 441) + (frmsizecod & 1);
	const bsmod = data[at + 5]! & 0x07;
	const acmod = data[at + 6]! >> 5;
	// lfeon follows acmod and the optional 2-bit cmixlev, surmixlev and dsurmod fields
	let bit = 3;
	if (acmod & 1 && acmod !== 1) bit += 2; // cmixlev
	if (acmod & 4) bit += 2; // surmixlev
	if (acmod === 2) bit += 2; // dsurmod
	const lfeon = ((((data[at + 6]! << 8) | data[at + 7]!) >> (15 - bit)) & 1) === 1;
	return {
		sampleRate,
		channels: ACMOD_CHANNELS[acmod]! + (lfeon ? 1 : 0),
		frameLength: words * 2,
		bitrate: kbps * 1000,
		bsid,
		bsmod,
		acmod,
		lfeon,
		fscod,
		frmsizecod,
	};
};
