import { BitReader } from '../bytes/bit-reader.ts';
import { BitWriter } from '../bytes/bit-writer.ts';
import { TapedeckError } from '../core/errors.ts';

/**
 * AAC framing: the ADTS header that precedes each frame in MPEG-TS (ISO/IEC 14496-3 §1.A.2.2,
 * ISO/IEC 13818-7 §6.2) and the AudioSpecificConfig that MP4/FLV carry instead
 * (ISO/IEC 14496-3 §1.6.2.1).
 */

/** sampling_frequency_index → Hz (ISO/IEC 14496-3 Table 1.18); indices 13, 14 are reserved, 15 means explicit. */
export const AAC_SAMPLE_RATES: readonly number[] = [
	96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** PCM samples per channel in one AAC frame (raw_data_block) with the usual frameLengthFlag = 0. */
export const AAC_SAMPLES_PER_FRAME = 1024;

/** sampling_frequency_index of a rate, or −1 when the table has no such rate. */
export const aacSampleRateIndex = (sampleRate: number): number => AAC_SAMPLE_RATES.indexOf(sampleRate);

/** channel_configuration → channel count (Table 1.19); 0 means "in a program_config_element", taken as 2. */
export const aacChannelCount = (channelConfig: number): number =>
	channelConfig === 7 ? 8 : channelConfig === 0 ? 2 : channelConfig;

/** What tapedeck needs of an AAC stream's configuration. */
export type AacConfig = {
	/** audioObjectType of the core coder (2 = AAC LC); SBR/PS signalling is resolved to the core type. */
	readonly objectType: number;
	readonly sampleRateIndex: number;
	/** Core sampling rate (the rate ADTS carries and the rate of the 1024-sample frame clock). */
	readonly sampleRate: number;
	readonly channelConfig: number;
	readonly channels: number;
};

/** One ADTS header. */
export type AdtsHeader = AacConfig & {
	/** Header bytes: 7, or 9 with the CRC. */
	readonly headerLength: number;
	/** Whole frame, header included (aac_frame_length). */
	readonly frameLength: number;
	/** raw_data_blocks in the frame (number_of_raw_data_blocks_in_frame + 1), each 1024 samples. */
	readonly blocks: number;
};

/** ADTS header size without CRC. */
export const ADTS_HEADER_LENGTH = 7;

/**
 * Parses the ADTS header at `data[at]`, or returns undefined when there is no valid header
 * there (no syncword, a reserved rate index, a frame length shorter than its header) or the
 * 7 header bytes are not all present.
 */
export const parseAdtsHeader = (data: Uint8Array, at: number): AdtsHeader | undefined => {
	if (at + ADTS_HEADER_LENGTH > data.length) return undefined;
	const b1 = data[at + 1]!;
	if (data[at] !== 0xff || (b1 & 0xf6) !== 0xf0) return undefined; // syncword 0xFFF, layer '00'
	const b2 = data[at + 2]!;
	const b3 = data[at + 3]!;
	const headerLength = b1 & 1 ? 7 : 9; // protection_absent
	const objectType = (b2 >> 6) + 1; // profile_ObjectType is audioObjectType − 1
	const sampleRateIndex = (b2 >> 2) & 0x0f;
	const sampleRate = AAC_SAMPLE_RATES[sampleRateIndex];
	const channelConfig = ((b2 & 1) << 2) | (b3 >> 6);
	const frameLength = ((b3 & 3) << 11) | (data[at + 4]! << 3) | (data[at + 5]! >> 5);
	if (sampleRate === undefined || frameLength < headerLength) return undefined;
	return {
		objectType,
		sampleRateIndex,
		sampleRate,
		channelConfig,
		channels: aacChannelCount(channelConfig),
		headerLength,
		frameLength,
		blocks: (data[at + 6]! & 3) + 1,
	};
};

/**
 * Writes a 7-byte ADTS header (MPEG-4, no CRC, one raw_data_block, buffer fullness 0x7FF =
 * variable rate) at `out[at]` for a frame of `payloadLength` bytes. ADTS has two bits for the
 * profile, so only object types 1..4 fit (the caller checks with `adtsCanCarry`).
 */
export const writeAdtsHeader = (out: Uint8Array, at: number, config: AacConfig, payloadLength: number): void => {
	const frameLength = payloadLength + ADTS_HEADER_LENGTH;
	out[at] = 0xff; // syncword
	out[at + 1] = 0xf1; // syncword, ID = 0 (MPEG-4), layer = 0, protection_absent = 1
	// profile_ObjectType, sampling_frequency_index, private_bit = 0, channel_configuration[2]
	out[at + 2] = ((config.objectType - 1) << 6) | (config.sampleRateIndex << 2) | (config.channelConfig >> 2);
	// channel_configuration[1:0], original_copy, home, copyright bits = 0, aac_frame_length[12:11]
	out[at + 3] = ((config.channelConfig & 3) << 6) | (frameLength >> 11);
	out[at + 4] = (frameLength >> 3) & 0xff; // aac_frame_length[10:3]
	out[at + 5] = ((frameLength & 7) << 5) | 0x1f; // aac_frame_length[2:0], adts_buffer_fullness[10:6]
	out[at + 6] = 0xfc; // adts_buffer_fullness[5:0], number_of_raw_data_blocks_in_frame = 0
};

/** Whether ADTS can describe this configuration: a 2-bit profile and a tabled sampling rate. */
export const adtsCanCarry = (config: AacConfig): boolean =>
	config.objectType >= 1 && config.objectType <= 4 && config.sampleRateIndex < 13;

/** Builds the 2-byte (or longer, for untabled rates) AudioSpecificConfig of a plain AAC stream. */
export const buildAudioSpecificConfig = (
	config: Pick<AacConfig, 'objectType' | 'sampleRate' | 'channelConfig'>,
): Uint8Array => {
	const w = new BitWriter(8);
	if (config.objectType < 31) {
		w.writeBits(config.objectType, 5); // audioObjectType
	} else {
		w.writeBits(31, 5); // escape
		w.writeBits(config.objectType - 32, 6); // audioObjectTypeExt
	}
	const index = aacSampleRateIndex(config.sampleRate);
	if (index >= 0) {
		w.writeBits(index, 4); // samplingFrequencyIndex
	} else {
		w.writeBits(15, 4);
		w.writeBits(config.sampleRate, 24); // samplingFrequency
	}
	w.writeBits(config.channelConfig, 4); // channelConfiguration
	w.writeBits(0, 3); // GASpecificConfig: frameLengthFlag, dependsOnCoreCoder, extensionFlag
	return w.toBytes();
};

/**
 * Parses an AudioSpecificConfig. Explicit SBR/PS signalling (object types 5 and 29) is resolved
 * to the core object type and core rate, which is what ADTS and the frame clock use.
 */
export const parseAudioSpecificConfig = (config: Uint8Array): AacConfig => {
	if (config.length < 2) {
		throw new TapedeckError('corrupt_input', `AudioSpecificConfig needs ≥ 2 bytes, got ${config.length}`);
	}
	const r = new BitReader(config);
	let objectType = readObjectType(r);
	const rate = readSampleRate(r);
	const channelConfig = r.readBits(4);
	if (objectType === 5 || objectType === 29) {
		readSampleRate(r); // extensionSamplingFrequency: the SBR output rate
		objectType = readObjectType(r);
	}
	if (rate.rate === 0) {
		throw new TapedeckError('corrupt_input', `AudioSpecificConfig has reserved samplingFrequencyIndex ${rate.index}`);
	}
	// ISO/IEC 14496-3 §1.5.1.1 Table 1.1: audioObjectType 0 is Null, no audio: a damaged header, not a config.
	if (objectType === 0) throw new TapedeckError('corrupt_input', 'AudioSpecificConfig has audioObjectType 0 (Null)');
	return {
		objectType,
		sampleRateIndex: rate.index,
		sampleRate: rate.rate,
		channelConfig,
		channels: aacChannelCount(channelConfig),
	};
};

const readObjectType = (r: BitReader): number => {
	const type = r.readBits(5);
	return type === 31 ? 32 + r.readBits(6) : type;
};

/** samplingFrequencyIndex, then the explicit 24-bit rate when the index is 15; rate 0 for reserved indices. */
const readSampleRate = (r: BitReader): { index: number; rate: number } => {
	const index = r.readBits(4);
	return { index, rate: index === 15 ? r.readBits(24) : (AAC_SAMPLE_RATES[index] ?? 0) };
};
