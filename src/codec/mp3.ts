/**
 * MPEG audio frame header (ISO/IEC 11172-3 §2.4.2.3, ISO/IEC 13818-3 §2.4.2.3 for the lower
 * sampling frequencies, and the unofficial MPEG 2.5 extension): what a container needs to
 * describe an MP3 stream (rate, channels, samples per frame) and to frame it.
 */

export type Mp3Header = {
	/** 1 for MPEG-1, 2 for MPEG-2, 2.5 for MPEG 2.5. */
	readonly version: 1 | 2 | 2.5;
	readonly layer: 1 | 2 | 3;
	/** Bits per second; 0 for the "free format" bitrate index. */
	readonly bitrate: number;
	readonly sampleRate: number;
	readonly channels: number;
	/** PCM samples per channel in one frame: 384, 1152 or 576. */
	readonly samplesPerFrame: number;
	/** Whole frame in bytes, header included; 0 for free format. */
	readonly frameLength: number;
};

/** Sampling frequencies by version (MPEG-1, MPEG-2, MPEG 2.5) and index 0–2. */
const SAMPLE_RATES: Record<1 | 2 | 2.5, readonly number[]> = {
	1: [44100, 48000, 32000],
	2: [22050, 24000, 16000],
	2.5: [11025, 12000, 8000],
};

/** bitrate_index → kbit/s, by table. */
const BITRATES_V1_L1 = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448];
const BITRATES_V1_L2 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384];
const BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2_L1 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256];
const BITRATES_V2_L23 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/** Parses the 4-byte header at `at`; undefined when it is not a valid frame header. */
export const parseMp3Header = (data: Uint8Array, at = 0): Mp3Header | undefined => {
	if (at + 4 > data.length) return undefined;
	const b1 = data[at + 1]!;
	const b2 = data[at + 2]!;
	// syncword: 11 set bits (12 in ISO 11172-3; MPEG 2.5 reuses the last one as a version bit).
	if (data[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
	const versionBits = (b1 >> 3) & 3;
	const layerBits = (b1 >> 1) & 3;
	const bitrateIndex = b2 >> 4;
	const rateIndex = (b2 >> 2) & 3;
	if (versionBits === 1 || layerBits === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
	const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
	const layer = (4 - layerBits) as 1 | 2 | 3;
	const padding = (b2 >> 1) & 1;
	const channelMode = data[at + 3]! >> 6; // 3 = single channel
	const sampleRate = SAMPLE_RATES[version][rateIndex]!;
	const table =
		version === 1
			? layer === 1
				? BITRATES_V1_L1
				: layer === 2
					? BITRATES_V1_L2
					: BITRATES_V1_L3
			: layer === 1
				? BITRATES_V2_L1
				: BITRATES_V2_L23;
	const bitrate = table[bitrateIndex]! * 1000;
	const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== 1 ? 576 : 1152;
	// Frame length in slots: samples/8 bytes per bit of bitrate per sample; Layer I slots are 4 bytes.
	const frameLength =
		bitrate === 0
			? 0
			: layer === 1
				? (Math.floor((12 * bitrate) / sampleRate) + padding) * 4
				: Math.floor((samplesPerFrame / 8) * (bitrate / sampleRate)) + padding;
	return { version, layer, bitrate, sampleRate, channels: channelMode === 3 ? 1 : 2, samplesPerFrame, frameLength };
};
