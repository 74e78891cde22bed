import { buildDOps, OPUS_SAMPLE_RATE, opusPacketSamples } from '../../../src/codec/opus.ts';
import type { AudioFrame, AudioFraming } from './audio-framing.ts';

/**
 * Opus in MPEG-TS (ETSI TS 102 366 style, as ffmpeg writes it: stream_type 0x06, 'Opus'
 * registration descriptor): each Opus packet follows an opus_control_header — the 11-bit prefix
 * 0x3FF, start/end trim and extension flags, au_size as a run of 0xFF bytes plus a last byte, then
 * the optional trims (13 bits each) and extension. The channel count comes from the PMT's
 * extension descriptor; the first packet's start trim becomes the dOps pre-skip.
 */
export class OpusFraming implements AudioFraming {
	readonly syncByte = 0x7f;
	readonly #channels: number;

	constructor(channels: number) {
		this.#channels = channels;
	}

	parse(data: Uint8Array, at: number): AudioFrame | undefined {
		const end = data.length;
		if (at + 2 > end || data[at] !== 0x7f || (data[at + 1]! & 0xe0) !== 0xe0) return undefined; // control_header_prefix
		const flags = data[at + 1]!;
		let p = at + 2;
		let size = 0;
		let byte = 0xff;
		while (byte === 0xff) {
			if (p >= end) return undefined;
			byte = data[p++]!;
			size += byte; // au_size
		}
		let startTrim = 0;
		if (flags & 0x10) {
			if (p + 2 > end) return undefined;
			startTrim = ((data[p]! & 0x1f) << 8) | data[p + 1]!; // start_trim
			p += 2;
		}
		if (flags & 0x08) p += 2; // end_trim
		if (flags & 0x04) {
			if (p >= end) return undefined;
			p += 1 + data[p]!; // control_extension_length, reserved bytes
		}
		if (p + 1 > end) return undefined; // the TOC byte is needed for the duration
		const samples = opusPacketSamples(data, p, Math.min(end, p + size));
		return {
			codec: 'opus',
			frameLength: p - at + size,
			payloadOffset: p - at,
			samples,
			sampleRate: OPUS_SAMPLE_RATE,
			channels: this.#channels,
			configKey: this.#channels,
			startTrim,
		};
	}

	config(_data: Uint8Array, _at: number, frame: AudioFrame): Uint8Array {
		return buildDOps({ channels: this.#channels, preSkip: frame.startTrim, inputSampleRate: OPUS_SAMPLE_RATE });
	}
}
