import { BitReader } from '../../../src/bytes/bit-reader.ts';
import { AAC_SAMPLES_PER_FRAME } from '../../../src/codec/aac.ts';
import {
	type LatmConfig,
	LOAS_HEADER_LENGTH,
	LOAS_SYNC_BYTE,
	loasMuxLength,
	readAudioMuxElement,
} from '../../../src/codec/latm.ts';
import { TapedeckError } from '../../../src/core/errors.ts';
import type { AudioFrame, AudioFraming } from './audio-framing.ts';

/** Longest AudioMuxElement: audioMuxLengthBytes has 13 bits. */
const MAX_ELEMENT = 8191;

/**
 * AAC in LOAS/LATM (stream_type 0x11, ISO/IEC 14496-3 §1.7.2): each AudioSyncStream frame is a
 * 3-byte header (syncword 0x2B7, length) and one AudioMuxElement with muxConfigPresent = 1. The
 * StreamMuxConfig, repeated every few frames, gives the AudioSpecificConfig; frames before the
 * first one cannot be decoded and are skipped. Payloads become plain raw AAC frames (copied,
 * since LATM does not byte-align them).
 */
export class LatmFraming implements AudioFraming {
	readonly syncByte = LOAS_SYNC_BYTE;
	/** The StreamMuxConfig in force: the last one read. */
	#config: LatmConfig | undefined;
	readonly #payload = new Uint8Array(MAX_ELEMENT);

	parse(data: Uint8Array, at: number): AudioFrame | undefined {
		const length = loasMuxLength(data, at);
		if (length < 0 || at + LOAS_HEADER_LENGTH + length > data.length) {
			// A header with its element not all here: enough to frame it, not to read its config yet.
			const config = this.#config;
			if (length < 0 || !config) return undefined;
			return this.#frame(LOAS_HEADER_LENGTH + length, config);
		}
		const read = this.#read(data, at, length);
		return read ? this.#frame(LOAS_HEADER_LENGTH + length, read) : undefined;
	}

	config(): Uint8Array {
		return this.#config!.audioSpecificConfig;
	}

	payload(data: Uint8Array, at: number): Uint8Array {
		this.#read(data, at, loasMuxLength(data, at));
		return this.#payload.subarray(0, Math.max(0, this.#readLength));
	}

	/** Bytes of the raw frame read by the last `#read`, −1 when it failed. */
	#readLength = -1;

	#read(data: Uint8Array, at: number, length: number): LatmConfig | undefined {
		const start = at + LOAS_HEADER_LENGTH;
		try {
			const r = new BitReader(data, start, start + length);
			const element = readAudioMuxElement(data, r, true, this.#config, this.#payload);
			this.#config = element.config;
			this.#readLength = element.length;
			return element.config;
		} catch (error) {
			if (!(error instanceof TapedeckError)) throw error;
			this.#readLength = -1;
			return undefined;
		}
	}

	#frame(frameLength: number, config: LatmConfig): AudioFrame {
		const aac = config.aac;
		return {
			codec: 'aac',
			frameLength,
			payloadOffset: LOAS_HEADER_LENGTH,
			samples: AAC_SAMPLES_PER_FRAME,
			sampleRate: aac.sampleRate,
			channels: aac.channels,
			configKey: (aac.objectType << 8) | (aac.sampleRateIndex << 4) | aac.channelConfig,
			startTrim: 0,
		};
	}
}
