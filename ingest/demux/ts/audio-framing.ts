import { AAC_SAMPLES_PER_FRAME, buildAudioSpecificConfig, parseAdtsHeader } from '../../../src/codec/aac.ts';
import { AC3_SAMPLES_PER_FRAME, parseAc3Header } from '../../../src/codec/ac3.ts';
import { parseMp3Header } from '../../../src/codec/mp3.ts';
import type { CodecId } from '../../../src/core/track.ts';

/** One audio frame found in a PES payload. */
export type AudioFrame = {
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
	readonly codec: CodecId;
	/** The first byte of every frame, for resync. */
	readonly syncByte: number;
	/** The frame starting at `data[at]`, or undefined when there is none or its header is not all there. */
	parse(data: Uint8Array, at: number): AudioFrame | undefined;
	/** The track config (AudioSpecificConfig, dOps, or empty) for the frame at `data[at]`. */
	config(data: Uint8Array, at: number, frame: AudioFrame): Uint8Array;
}

const NO_CONFIG = new Uint8Array(0);

/** AAC in ADTS (stream_type 0x0F): the 7- or 9-byte header is stripped, the config is an AudioSpecificConfig. */
export const adtsFraming: AudioFraming = {
	codec: 'aac',
	syncByte: 0xff,
	parse(data, at) {
		const h = parseAdtsHeader(data, at);
		if (!h) return undefined;
		return {
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

/** MPEG-1/2 Layer III (stream_type 0x03/0x04): frames are carried whole; no config. Layer I/II frames are not MP3 and are skipped. */
export const mp3Framing: AudioFraming = {
	codec: 'mp3',
	syncByte: 0xff,
	parse(data, at) {
		const h = parseMp3Header(data, at);
		if (h?.layer !== 3 || h.frameLength === 0) return undefined;
		return {
			frameLength: h.frameLength,
			payloadOffset: 0,
			samples: h.samplesPerFrame,
			sampleRate: h.sampleRate,
			channels: h.channels,
			configKey: h.sampleRate * 16 + h.channels,
			startTrim: 0,
		};
	},
	config: () => NO_CONFIG,
};

/** AC-3 (stream_type 0x81, or 0x06 with an AC-3 descriptor): sync frames carried whole; no config. */
export const ac3Framing: AudioFraming = {
	codec: 'ac3',
	syncByte: 0x0b,
	parse(data, at) {
		const h = parseAc3Header(data, at);
		if (!h) return undefined;
		return {
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
