import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import {
	AAC_SAMPLES_PER_FRAME,
	type AacConfig,
	ADTS_HEADER_LENGTH,
	type AdtsHeader,
	buildAudioSpecificConfig,
	parseAdtsHeader,
} from '../../../src/codec/aac.ts';
import { rescale } from '../../../src/core/time.ts';
import type { Track } from '../../../src/core/track.ts';
import type { DemuxStats } from '../../media-receiver.ts';
import type { AccessUnitSink, ElementaryStream, StreamIdentity } from './elementary-stream.ts';

/**
 * AAC in ADTS (stream_type 0x0F, ISO/IEC 13818-1 §2.4.4.9): a PES may hold several ADTS frames,
 * and a frame may continue into the next PES. Each frame becomes one packet of raw AAC with the
 * AudioSpecificConfig in the track config. The track's timescale is the sample rate: the PES PTS
 * dates the first frame that starts in that PES, the next ones follow 1024 samples apart.
 */
export class AdtsElementaryStream implements ElementaryStream {
	readonly #identity: StreamIdentity;
	readonly #sink: AccessUnitSink;
	readonly #stats: DemuxStats;
	/** A frame begun at the end of the previous PES. */
	readonly #carry = new GrowableBuffer(2048);
	/** 90 kHz PTS of the carried frame when it was the first to start in its PES, else NaN. */
	#carryPts = Number.NaN;
	/** Timestamp of the next frame, in the track's timescale; NaN until a PES has given one. */
	#nextPts = Number.NaN;
	#config: AacConfig | undefined;

	constructor(identity: StreamIdentity, sink: AccessUnitSink, stats: DemuxStats) {
		this.#identity = identity;
		this.#sink = sink;
		this.#stats = stats;
	}

	pes(payload: Uint8Array, pts: number): void {
		let at = this.#carry.length > 0 ? this.#completeCarry(payload) : 0;
		let firstPts = pts; // applies to the first frame that starts here
		while (at < payload.length) {
			const header = parseAdtsHeader(payload, at);
			if (!header && payload.length - at < ADTS_HEADER_LENGTH && payload[at] === 0xff) {
				this.#startCarry(payload, at, firstPts); // a header split across PES
				return;
			}
			if (!header) {
				const next = findSyncword(payload, at + 1);
				this.#stats.skippedBytes += next - at;
				at = next;
				continue;
			}
			if (at + header.frameLength > payload.length) {
				this.#startCarry(payload, at, firstPts);
				return;
			}
			this.#frame(payload.subarray(at + header.headerLength, at + header.frameLength), header, firstPts);
			firstPts = Number.NaN;
			at += header.frameLength;
		}
	}

	discontinuity(): void {
		this.#carry.length = 0;
	}

	end(): void {
		if (this.#carry.length > 0) this.#stats.droppedUnits++;
		this.#carry.length = 0;
	}

	#startCarry(payload: Uint8Array, at: number, pts: number): void {
		this.#carry.length = 0;
		this.#carry.append(payload, at);
		this.#carryPts = pts;
	}

	/** Completes the carried frame from the head of `payload`; returns the bytes of `payload` used. */
	#completeCarry(payload: Uint8Array): number {
		const carry = this.#carry;
		let used = 0;
		if (carry.length < ADTS_HEADER_LENGTH) {
			used = Math.min(ADTS_HEADER_LENGTH - carry.length, payload.length);
			carry.append(payload, 0, used);
			if (carry.length < ADTS_HEADER_LENGTH) return used;
		}
		const header = parseAdtsHeader(carry.bytes, 0);
		if (!header) {
			this.#stats.droppedUnits++;
			carry.length = 0;
			return used;
		}
		const take = Math.min(header.frameLength - carry.length, payload.length - used);
		carry.append(payload, used, used + take);
		used += take;
		if (carry.length === header.frameLength) {
			carry.length = 0;
			this.#frame(carry.bytes.subarray(header.headerLength, header.frameLength), header, this.#carryPts);
		}
		return used;
	}

	/** Delivers one raw frame; `pts` (90 kHz, NaN if none) re-anchors the frame clock. */
	#frame(raw: Uint8Array, header: AdtsHeader, pts: number): void {
		this.#configure(header);
		const rate = header.sampleRate;
		if (!Number.isNaN(pts)) this.#nextPts = rescale(pts, 90_000, rate);
		const time = this.#nextPts;
		if (Number.isNaN(time)) {
			this.#stats.droppedUnits++; // no PES has dated this stream yet
			return;
		}
		const duration = AAC_SAMPLES_PER_FRAME * header.blocks;
		this.#nextPts = time + duration;
		this.#sink.unit({ trackId: this.#identity.id, dts: time, pts: time, duration, keyframe: true, data: raw });
	}

	/** Announces a track version when the object type, rate or channel layout changes. */
	#configure(header: AdtsHeader): void {
		const old = this.#config;
		if (
			old &&
			old.objectType === header.objectType &&
			old.sampleRateIndex === header.sampleRateIndex &&
			old.channelConfig === header.channelConfig
		) {
			return;
		}
		if (old) this.#nextPts = rescale(this.#nextPts, old.sampleRate, header.sampleRate);
		this.#config = header;
		const track: Track = {
			id: this.#identity.id,
			kind: 'audio',
			codec: 'aac',
			timescale: header.sampleRate,
			config: buildAudioSpecificConfig(header),
			name: this.#identity.name,
			audio: { sampleRate: header.sampleRate, channels: header.channels },
		};
		this.#sink.configured(track);
	}
}

/** The next ADTS syncword (0xFFF, layer 00) at or after `from`, or the end. */
const findSyncword = (data: Uint8Array, from: number): number => {
	for (let i = from; i + 1 < data.length; i++) {
		if (data[i] === 0xff && (data[i + 1]! & 0xf6) === 0xf0) return i;
	}
	return data.length;
};
