import { TapedeckError } from '../core/errors.ts';

/**
 * Opus framing facts a container needs: packet duration from the TOC byte (RFC 6716 §3.1), and
 * the decoder configuration in its MP4 form, the OpusSpecificBox `dOps` ("Encapsulation of Opus
 * in ISO Base Media File Format" §4.3.2), with the Vorbis channel mappings of RFC 7845 §5.1.1.2.
 */

/** Opus always runs its clock at 48 kHz, whatever the input rate was. */
export const OPUS_SAMPLE_RATE = 48_000;

/** Frame durations in 48 kHz samples (RFC 6716 Table 2): SILK 10/20/40/60 ms, hybrid 10/20 ms, CELT 2.5/5/10/20 ms. */
const SILK = [480, 960, 1920, 2880];
const HYBRID = [480, 960];
const CELT = [120, 240, 480, 960];

/** Frame duration for a TOC config number: 0..11 SILK, 12..15 hybrid, 16..31 CELT. */
const frameSamples = (config: number): number =>
	config < 12 ? SILK[config & 3]! : config < 16 ? HYBRID[config & 1]! : CELT[config & 3]!;

/** PCM samples (at 48 kHz) in an Opus packet, from its TOC byte and, for code 3, the frame count byte; 0 when malformed. */
export const opusPacketSamples = (packet: Uint8Array, at = 0, end = packet.length): number => {
	if (at >= end) return 0;
	const toc = packet[at]!;
	const perFrame = frameSamples(toc >> 3);
	const code = toc & 3;
	if (code === 0) return perFrame;
	if (code !== 3) return 2 * perFrame;
	if (at + 1 >= end) return 0;
	return (packet[at + 1]! & 0x3f) * perFrame;
};

/** What dOps says. */
export type OpusConfig = {
	readonly channels: number;
	/** Samples (48 kHz) to drop at the start: the encoder's look-ahead. */
	readonly preSkip: number;
	readonly inputSampleRate: number;
	/** 0: mono/stereo, 1: Vorbis order for up to 8 channels. */
	readonly mappingFamily: number;
};

/** Stream count, coupled stream count and channel mapping for Vorbis-order layouts of 1..8 channels. */
const VORBIS_MAPPINGS: readonly (readonly [number, number, readonly number[]])[] = [
	[1, 0, [0]],
	[1, 1, [0, 1]],
	[2, 1, [0, 2, 1]],
	[2, 2, [0, 1, 2, 3]],
	[3, 2, [0, 4, 1, 2, 3]],
	[4, 2, [0, 4, 1, 2, 3, 5]],
	[4, 3, [0, 4, 1, 2, 3, 5, 6]],
	[5, 3, [0, 6, 1, 2, 3, 4, 5, 7]],
];

/** Builds dOps for 1..8 channels: family 0 up to stereo, family 1 (Vorbis order) above. */
export const buildDOps = (config: Pick<OpusConfig, 'channels' | 'preSkip' | 'inputSampleRate'>): Uint8Array => {
	const mapping = VORBIS_MAPPINGS[config.channels - 1];
	if (!mapping) {
		throw new TapedeckError('unsupported', `Opus with ${config.channels} channels: tapedeck maps 1 to 8 channels`);
	}
	const family = config.channels > 2 ? 1 : 0;
	const out = new Uint8Array(11 + (family ? 2 + config.channels : 0));
	const view = new DataView(out.buffer);
	out[0] = 0; // Version
	out[1] = config.channels; // OutputChannelCount
	view.setUint16(2, config.preSkip); // PreSkip
	view.setUint32(4, config.inputSampleRate); // InputSampleRate
	view.setInt16(8, 0); // OutputGain
	out[10] = family; // ChannelMappingFamily
	if (family) {
		out[11] = mapping[0]; // StreamCount
		out[12] = mapping[1]; // CoupledCount
		out.set(mapping[2], 13); // ChannelMapping
	}
	return out;
};

/** Parses dOps. Throws a corrupt_input TapedeckError when it is shorter than its fields. */
export const parseDOps = (config: Uint8Array): OpusConfig => {
	if (config.length < 11) throw new TapedeckError('corrupt_input', `dOps needs ≥ 11 bytes, got ${config.length}`);
	const view = new DataView(config.buffer, config.byteOffset, config.byteLength);
	return {
		channels: config[1]!,
		preSkip: view.getUint16(2),
		inputSampleRate: view.getUint32(4),
		mappingFamily: config[10]!,
	};
};
