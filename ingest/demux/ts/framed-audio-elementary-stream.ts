import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import { rescale } from '../../../src/core/time.ts';
import type { Track } from '../../../src/core/track.ts';
import type { AudioFrame, AudioFraming } from './audio-framing.ts';
import type { AccessUnitSink, ElementaryStream, StreamIdentity } from './elementary-stream.ts';

/** Enough bytes to read any frame header (Opus control headers are the longest). */
const MAX_HEADER = 64;

/**
 * Audio whose frames carry their own headers (AAC in ADTS, MP3, AC-3, Opus with control
 * headers): a PES may hold several frames and a frame may continue into the next PES. Each frame
 * becomes one packet; the track's timescale is the sample rate. The PES PTS dates the first frame
 * that starts in that PES (ISO/IEC 13818-1 §2.4.3.7); the next ones follow by their sample counts.
 */
export class FramedAudioElementaryStream implements ElementaryStream {
	readonly #framing: AudioFraming;
	readonly #identity: StreamIdentity;
	readonly #sink: AccessUnitSink;
	readonly #stats: DemuxStats;
	/** A frame begun at the end of the previous PES. */
	readonly #carry = new GrowableBuffer(2048);
	/** 90 kHz PTS of the carried frame when it was the first to start in its PES, else NaN. */
	#carryPts = Number.NaN;
	/** Timestamp of the next frame, in the track's timescale; NaN until a PES has given one. */
	#nextPts = Number.NaN;
	#configKey = -1;
	#sampleRate = 0;

	constructor(framing: AudioFraming, identity: StreamIdentity, sink: AccessUnitSink, stats: DemuxStats) {
		this.#framing = framing;
		this.#identity = identity;
		this.#sink = sink;
		this.#stats = stats;
	}

	pes(payload: Uint8Array, pts: number): void {
		let at = this.#carry.length > 0 ? this.#completeCarry(payload) : 0;
		let firstPts = pts; // applies to the first frame that starts here
		while (at < payload.length) {
			const frame = this.#framing.parse(payload, at);
			if (!frame && payload.length - at < MAX_HEADER && payload[at] === this.#framing.syncByte) {
				this.#startCarry(payload, at, firstPts); // a header that may continue in the next PES
				return;
			}
			if (!frame) {
				const next = payload.indexOf(this.#framing.syncByte, at + 1);
				const resync = next < 0 ? payload.length : next;
				this.#stats.skippedBytes += resync - at;
				at = resync;
				continue;
			}
			if (at + frame.frameLength > payload.length) {
				this.#startCarry(payload, at, firstPts);
				return;
			}
			this.#frame(payload, at, frame, firstPts);
			firstPts = Number.NaN;
			at += frame.frameLength;
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
		const before = carry.length;
		let used = Math.min(MAX_HEADER, payload.length);
		carry.append(payload, 0, used);
		const frame = this.#framing.parse(carry.view(), 0);
		if (!frame && carry.length < MAX_HEADER + before && used === payload.length) return used; // still too short to tell
		if (!frame || frame.frameLength < before) {
			this.#stats.droppedUnits++; // not a frame after all: resync in this payload
			carry.length = 0;
			return 0;
		}
		if (frame.frameLength < carry.length) {
			used -= carry.length - frame.frameLength; // took more than the frame: give the rest back
			carry.length = frame.frameLength;
		} else {
			const take = Math.min(frame.frameLength - carry.length, payload.length - used);
			carry.append(payload, used, used + take);
			used += take;
		}
		if (carry.length === frame.frameLength) {
			carry.length = 0;
			this.#frame(carry.bytes, 0, frame, this.#carryPts);
		}
		return used;
	}

	/** Delivers the frame at `data[at]`; `pts` (90 kHz, NaN if none) re-anchors the frame clock. */
	#frame(data: Uint8Array, at: number, frame: AudioFrame, pts: number): void {
		if (frame.configKey !== this.#configKey) this.#configure(data, at, frame);
		if (!Number.isNaN(pts)) this.#nextPts = rescale(pts, 90_000, frame.sampleRate);
		const time = this.#nextPts;
		if (Number.isNaN(time)) {
			this.#stats.droppedUnits++; // no PES has dated this stream yet
			return;
		}
		this.#nextPts = time + frame.samples;
		this.#sink.unit({
			trackId: this.#identity.id,
			dts: time,
			pts: time,
			duration: frame.samples,
			keyframe: true,
			data: data.subarray(at + frame.payloadOffset, at + frame.frameLength),
		});
	}

	/** Announces a track version for a new decoder configuration (rate, channels, profile). */
	#configure(data: Uint8Array, at: number, frame: AudioFrame): void {
		if (this.#sampleRate && frame.sampleRate !== this.#sampleRate) {
			this.#nextPts = rescale(this.#nextPts, this.#sampleRate, frame.sampleRate);
		}
		this.#configKey = frame.configKey;
		this.#sampleRate = frame.sampleRate;
		const track: Track = {
			id: this.#identity.id,
			kind: 'audio',
			codec: this.#framing.codec,
			timescale: frame.sampleRate,
			config: this.#framing.config(data, at, frame),
			name: this.#identity.name,
			audio: { sampleRate: frame.sampleRate, channels: frame.channels },
		};
		this.#sink.configured(track);
	}
}
