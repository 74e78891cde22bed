import { AAC_SAMPLES_PER_FRAME, buildAudioSpecificConfig, parseAdtsHeader } from '../../../src/codec/aac.ts';
import { AC3_SAMPLES_PER_FRAME, parseAc3Header } from '../../../src/codec/ac3.ts';
import { parseMp3Header } from '../../../src/codec/mp3.ts';
import type { CodecId } from '../../../src/core/track.ts';

/** One audio frame found in a PES payload. */
export type AudioFrame = {
	/** The codec of this frame: MPEG audio streams tell Layer II from Layer III per frame header. */
	readonly codec: CodecId;
	/** Bytes of the whole frame in the PES, headers included. */
	readonly frameLength: number;
	/** Where the packet payload starts inside the frame (past an ADTS or Opus control header; 0 when the frame is the payload). */
	readonly payloadOffset: number;
	/** PCM samples per channel. */
	readonly samples: number;
	readonly sampleRate: number;
	readonly channels: number;
	/** Equal keys mean the same decoder configuration. */
	readonly configKey: number;
	/** Opus start trim (48 kHz samples) announced in the control header, 0 when absent. */
	readonly startTrim: number;
};

/**
 * How one audio codec is framed inside PES payloads: a frame header that gives the frame's size,
 * duration and configuration. The framed-audio stream handles PES boundaries, timestamps and
 * resync; a framing only reads headers.
 */
export interface AudioFraming {
	/** The first byte of every frame, for resync. */
	readonly syncByte: number;
	/** The frame starting at `data[at]`, or undefined when there is none or its header is not all there. */
	parse(data: Uint8Array, at: number): AudioFrame | undefined;
	/** The track config (AudioSpecificConfig, dOps, or empty) for the frame at `data[at]`. */
	config(data: Uint8Array, at: number, frame: AudioFrame): Uint8Array;
	/**
	 * For framings whose payload is not a byte run of the frame (LATM): the payload of the frame at
	 * `data[at]`, as a view valid until the next call. Without it the payload is
	 * `data[at + payloadOffset, at + frameLength)`.
	 */
	payload?(data: Uint8Array, at: number, frame: AudioFrame): Uint8Array;
}

const NO_CONFIG = new Uint8Array(0);

/** AAC in ADTS (stream_type 0x0F): the 7- or 9-byte header is stripped, the config is an AudioSpecificConfig. */
export const adtsFraming: AudioFraming = {
	syncByte: 0xff,
	parse(data, at) {
		const h = parseAdtsHeader(data, at);
		if (!h) return undefined;
		return {
			codec: 'aac',
			frameLength: h.frameLength,
			payloadOffset: h.headerLength,
			samples: AAC_SAMPLES_PER_FRAME * h.blocks,
			sampleRate: h.sampleRate,
			channels: h.channels,
			configKey: (h.objectType << 8) | (h.sampleRateIndex << 4) | h.channelConfig,
			startTrim: 0,
		};
	},
	config: (data, at) => buildAudioSpecificConfig(parseAdtsHeader(data, at)!),
};

/**
 * MPEG-1/2 audio (stream_type 0x03/0x04): Layer II frames are 'mp2', Layer III frames 'mp3', told
 * apart by the layer bits of each header (ISO/IEC 11172-3 §2.4.2.3); frames are carried whole, with
 * no config. Layer I (no codec id of its own) and free-format frames are not read.
 */
export const mpegAudioFraming: AudioFraming = {
	syncByte: 0xff,
	parse(data, at) {
		const h = parseMp3Header(data, at);
		if (!h || h.layer === 1 || h.frameLength === 0) return undefined;
		return {
			codec: h.layer === 2 ? 'mp2' : 'mp3',
			frameLength: h.frameLength,
			payloadOffset: 0,
			samples: h.samplesPerFrame,
			sampleRate: h.sampleRate,
			channels: h.channels,
			configKey: (h.sampleRate * 16 + h.channels) * 4 + h.layer,
			startTrim: 0,
		};
	},
	config: () => NO_CONFIG,
};

/** AC-3 (stream_type 0x81, or 0x06 with an AC-3 descriptor): sync frames carried whole; no config. */
export const ac3Framing: AudioFraming = {
	syncByte: 0x0b,
	parse(data, at) {
		const h = parseAc3Header(data, at);
		if (!h) return undefined;
		return {
			codec: 'ac3',
			frameLength: h.frameLength,
			payloadOffset: 0,
			samples: AC3_SAMPLES_PER_FRAME,
			sampleRate: h.sampleRate,
			channels: h.channels,
			configKey: h.sampleRate * 16 + h.channels,
			startTrim: 0,
		};
	},
	config: () => NO_CONFIG,
};
