import { BitReader } from '../../../src/bytes/bit-reader.ts';
import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import { AAC_SAMPLES_PER_FRAME } from '../../../src/codec/aac.ts';
import { type LatmConfig, parseStreamMuxConfigHex, readAudioMuxElement } from '../../../src/codec/latm.ts';
import { TapedeckError } from '../../../src/core/errors.ts';
import {
	type AccessUnitReceiver,
	type CodecParameters,
	type DepacketizerStats,
	emptyDepacketizerStats,
	type RtpDepacketizer,
} from './rtp-depacketizer.ts';
import type { RtpPacket } from './rtp-packet.ts';

/** Longest raw AAC frame kept (6144 bits per channel, ISO/IEC 14496-3 §4.5.3.2, for 8 channels). */
const MAX_FRAME = 6144;

/**
 * AAC over RTP as MP4A-LATM (RFC 6416 §6, after RFC 3016): each access unit is one
 * AudioMuxElement, split over packets with the same timestamp when it is large, the last one
 * marked. With `cpresent=0` (GStreamer's rtpmp4apay, most cameras) the StreamMuxConfig is only in
 * the SDP's `config=` (hex); with `cpresent=1` (the default) it may also come in band. Frames go on
 * as plain raw AAC with the AudioSpecificConfig as the track config.
 */
export class LatmDepacketizer implements RtpDepacketizer {
	readonly stats: DepacketizerStats = emptyDepacketizerStats();
	readonly initialParameters: CodecParameters | undefined;
	readonly #receiver: AccessUnitReceiver;
	readonly #clockRate: number;
	readonly #muxConfigPresent: boolean;
	#config: LatmConfig | undefined;
	#frameTicks = 0;
	/** An AudioMuxElement split over several packets, while its last one has not come. */
	readonly #element = new GrowableBuffer(2048);
	#elementTimestamp = 0;
	readonly #frame = new Uint8Array(MAX_FRAME);

	constructor(receiver: AccessUnitReceiver, clockRate: number, fmtp: ReadonlyMap<string, string>) {
		this.#receiver = receiver;
		this.#clockRate = clockRate;
		this.#muxConfigPresent = (fmtp.get('cpresent') ?? '1') !== '0';
		const hex = fmtp.get('config');
		if (hex !== undefined) this.#config = parseStreamMuxConfigHex(hex);
		else if (!this.#muxConfigPresent) {
			throw new TapedeckError('unsupported', 'MP4A-LATM with cpresent=0 needs the StreamMuxConfig in fmtp config=');
		}
		this.initialParameters = this.#config && this.#parameters(this.#config);
	}

	push(packet: RtpPacket, timestamp: number, lostBefore: number): void {
		const element = this.#element;
		if (element.length > 0 && (lostBefore > 0 || timestamp !== this.#elementTimestamp)) this.#dropElement();
		if (!packet.marker) {
			if (element.length === 0) this.#elementTimestamp = timestamp;
			element.append(packet.payload);
			return;
		}
		if (element.length === 0) {
			this.#read(packet.payload, timestamp);
			return;
		}
		element.append(packet.payload);
		this.#read(element.view(), this.#elementTimestamp);
		element.length = 0;
	}

	flush(): void {
		this.#dropElement();
	}

	#read(data: Uint8Array, timestamp: number): void {
		try {
			const read = readAudioMuxElement(data, new BitReader(data), this.#muxConfigPresent, this.#config, this.#frame);
			if (read.config !== this.#config) {
				this.#config = read.config;
				this.#receiver.parameters(this.#parameters(read.config));
			}
			this.stats.accessUnits++;
			this.#receiver.accessUnit(timestamp, timestamp, this.#frameTicks, true, this.#frame.subarray(0, read.length));
		} catch (error) {
			if (!(error instanceof TapedeckError)) throw error;
			this.stats.droppedUnits++;
		}
	}

	#parameters(config: LatmConfig): CodecParameters {
		const aac = config.aac;
		this.#frameTicks = Math.round((AAC_SAMPLES_PER_FRAME * this.#clockRate) / aac.sampleRate);
		return {
			codec: 'aac',
			config: config.audioSpecificConfig,
			audio: { sampleRate: aac.sampleRate, channels: aac.channels },
		};
	}

	#dropElement(): void {
		if (this.#element.length === 0) return;
		this.#element.length = 0;
		this.stats.droppedUnits++;
	}
}
