import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import { rescale } from '../../../src/core/time.ts';
import type { Track } from '../../../src/core/track.ts';
import type { AudioFrame, AudioFraming } from './audio-framing.ts';
import type { AccessUnitSink, ElementaryStream, PesEnding, StreamIdentity } from './elementary-stream.ts';

/** Enough bytes to read any frame header (Opus control headers are the longest). */
const MAX_HEADER = 64;
/** Frames in a row with a new configuration before it is believed (one odd header is damage, not a change). */
const CONFIRM_FRAMES = 3;

/** A whole frame kept aside (a copy): one whose new configuration is not confirmed yet, or one found after a loss. */
type HeldFrame = { readonly bytes: Uint8Array; readonly frame: AudioFrame; time: number };

/**
 * Audio whose frames carry their own headers (AAC in ADTS, MPEG audio, AC-3, Opus with control
 * headers): a PES may hold several frames and a frame may continue into the next PES. Each frame
 * becomes one packet; the track's timescale is the sample rate. The PES PTS dates the first frame
 * that starts in that PES (ISO/IEC 13818-1 §2.4.3.7); the next ones follow by their sample counts.
 *
 * Damage costs only the frames it touched: a header is trusted where the previous frame ends and
 * the configuration is the current one; anywhere else (after skipped bytes, a new configuration)
 * only when the next frame's header follows where it says it ends. Skipped bytes advance the frame
 * clock by the frames they held. A new configuration is announced once it repeats on
 * CONFIRM_FRAMES frames in a row; until then its frames wait, and go on with the current one if it
 * does not. Frames after a loss inside a PES are dated back from the next PES's PTS.
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
	/** Bytes and samples of the last frame read: how much time skipped bytes held. */
	#frameBytes = 0;
	#frameSamples = 0;
	/** Frames of an unconfirmed new configuration. */
	readonly #held: HeldFrame[] = [];
	/** Frames found in the bytes after a loss, waiting for the next PES's PTS. */
	readonly #orphans: HeldFrame[] = [];

	constructor(framing: AudioFraming, identity: StreamIdentity, sink: AccessUnitSink, stats: DemuxStats) {
		this.#framing = framing;
		this.#identity = identity;
		this.#sink = sink;
		this.#stats = stats;
	}

	pes(payload: Uint8Array, pts: number, _dts: number, ending: PesEnding): void {
		if (this.#orphans.length > 0) this.#releaseOrphans(pts);
		const at = this.#carry.length > 0 ? this.#completeCarry(payload) : 0;
		this.#read(payload, at, pts, ending.cut, false);
	}

	fragment(payload: Uint8Array): void {
		this.#read(payload, 0, Number.NaN, true, true);
	}

	discontinuity(_betweenPes: boolean): void {
		if (this.#carry.length > 0) this.#dropped('a frame cut by the loss');
		this.#carry.length = 0;
	}

	end(): void {
		if (this.#carry.length > 0) this.#dropped('a frame cut off by the end of the input');
		this.#carry.length = 0;
		if (this.#held.length > 0) this.#keepHeld();
		if (this.#orphans.length > 0) this.#releaseOrphans(Number.NaN);
	}

	/**
	 * Reads the frames of `payload` from `from`. `cut`: the bytes end at a loss, so a frame running
	 * past them is lost, not carried; `orphan`: the bytes follow a loss and wait for the next PTS.
	 */
	#read(payload: Uint8Array, from: number, pts: number, cut: boolean, orphan: boolean): void {
		const framing = this.#framing;
		const length = payload.length;
		let at = from;
		let firstPts = pts; // applies to the first frame that starts here
		let aligned = !orphan;
		let skipped = 0;
		while (at < length) {
			const frame = framing.parse(payload, at);
			if (frame && ((aligned && frame.configKey === this.#configKey) || this.#followed(payload, at, frame))) {
				if (skipped > 0) this.#skip(skipped, orphan);
				skipped = 0;
				if (at + frame.frameLength > length) {
					if (cut) this.#dropped('a frame cut by a loss');
					else this.#startCarry(payload, at, firstPts);
					return;
				}
				if (orphan) this.#orphans.push(this.#copy(payload, at, frame));
				else this.#frame(payload, at, frame, firstPts);
				firstPts = Number.NaN;
				at += frame.frameLength;
				aligned = true;
				continue;
			}
			if (!frame && !cut && skipped === 0 && length - at < MAX_HEADER && payload[at] === framing.syncByte) {
				this.#startCarry(payload, at, firstPts); // a header that may continue in the next PES
				return;
			}
			const next = payload.indexOf(framing.syncByte, at + 1);
			const resync = next < 0 ? length : next;
			skipped += resync - at;
			at = resync;
			aligned = false;
		}
		if (skipped > 0) this.#skip(skipped, orphan);
	}

	/** Whether the frame at `data[at]` is followed by another frame header (or by the end of the bytes). */
	#followed(data: Uint8Array, at: number, frame: AudioFrame): boolean {
		const next = at + frame.frameLength;
		return next >= data.length || this.#framing.parse(data, next) !== undefined;
	}

	/** Damaged bytes skipped: counted, said, and the frame clock moves on by the frames they held. */
	#skip(bytes: number, orphan: boolean): void {
		this.#stats.skippedBytes += bytes;
		if (!orphan && this.#frameBytes > 0) this.#nextPts += Math.round(bytes / this.#frameBytes) * this.#frameSamples;
		this.#sink.warn({
			code: 'corrupt_data',
			message: `${this.#identity.name} (PID ${this.#identity.pid}): ${bytes} damaged bytes skipped, resynchronised on the next frame`,
		});
	}

	#dropped(what: string): void {
		this.#stats.droppedUnits++;
		this.#sink.warn({ code: 'dropped_data', message: `${this.#identity.name} (PID ${this.#identity.pid}): ${what}` });
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
			this.#dropped('a frame split across PES packets did not continue'); // resync in this payload
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

	/** The frame at `data[at]`; `pts` (90 kHz, NaN if none) re-anchors the frame clock. */
	#frame(data: Uint8Array, at: number, frame: AudioFrame, pts: number): void {
		if (!Number.isNaN(pts)) this.#nextPts = rescale(pts, 90_000, this.#sampleRate || frame.sampleRate);
		const time = this.#nextPts;
		if (Number.isNaN(time)) {
			this.#dropped('a frame before any PES timestamp dated the stream');
			return;
		}
		this.#nextPts = time + frame.samples;
		this.#frameBytes = frame.frameLength;
		this.#frameSamples = frame.samples;
		if (frame.configKey === this.#configKey) {
			if (this.#held.length > 0) this.#keepHeld();
			this.#emit(data, at, frame, time);
		} else if (this.#configKey < 0) {
			this.#configure(data, at, frame);
			this.#emit(data, at, frame, this.#nextPts - frame.samples);
		} else {
			this.#hold(this.#copy(data, at, frame), time);
		}
	}

	/** A frame with a configuration other than the current one: kept aside until CONFIRM_FRAMES in a row agree. */
	#hold(held: HeldFrame, time: number): void {
		held.time = time;
		const first = this.#held[0];
		if (first && first.frame.configKey !== held.frame.configKey) this.#keepHeld();
		this.#held.push(held);
		if (this.#held.length < CONFIRM_FRAMES) return;
		const oldRate = this.#sampleRate;
		this.#configure(held.bytes, 0, held.frame);
		for (const frame of this.#held) {
			this.#emit(frame.bytes, 0, frame.frame, rescale(frame.time, oldRate, this.#sampleRate));
		}
		this.#held.length = 0;
	}

	/** The held frames' new configuration did not repeat: their headers were damaged; they go on with the current one. */
	#keepHeld(): void {
		const first = this.#held[0]!.frame;
		this.#sink.warn({
			code: 'corrupt_data',
			message: `${this.#identity.name} (PID ${this.#identity.pid}): ${this.#held.length} frame header(s) announced ${first.sampleRate} Hz, ${first.channels} channel(s) and the frames around them did not: read as damaged headers, kept with the current configuration`,
		});
		for (const held of this.#held) this.#emit(held.bytes, 0, held.frame, held.time);
		this.#held.length = 0;
	}

	/** Dates the frames found after a loss back from the next PES's PTS (they end where it begins). */
	#releaseOrphans(pts: number): void {
		const orphans = this.#orphans;
		if (Number.isNaN(pts) || this.#configKey < 0) {
			for (let i = 0; i < orphans.length; i++) this.#dropped('a frame after a loss that no later timestamp dates');
		} else {
			let samples = 0;
			for (const orphan of orphans) samples += orphan.frame.samples;
			this.#nextPts = rescale(pts, 90_000, this.#sampleRate) - samples;
			for (const orphan of orphans) this.#frame(orphan.bytes, 0, orphan.frame, Number.NaN);
		}
		orphans.length = 0;
	}

	#copy(data: Uint8Array, at: number, frame: AudioFrame): HeldFrame {
		return { bytes: data.slice(at, at + frame.frameLength), frame, time: Number.NaN };
	}

	#emit(data: Uint8Array, at: number, frame: AudioFrame, time: number): void {
		const framing = this.#framing;
		this.#sink.unit({
			trackId: this.#identity.id,
			dts: time,
			pts: time,
			duration: frame.samples,
			keyframe: true,
			data: framing.payload
				? framing.payload(data, at, frame)
				: data.subarray(at + frame.payloadOffset, at + frame.frameLength),
		});
	}

	/** Announces a track version for a new decoder configuration (rate, channels, profile). */
	#configure(data: Uint8Array, at: number, frame: AudioFrame): void {
		if (this.#sampleRate && frame.sampleRate !== this.#sampleRate) {
			this.#nextPts = rescale(this.#nextPts, this.#sampleRate, frame.sampleRate);
		}
		if (this.#configKey >= 0) {
			this.#sink.warn({
				code: 'parameter_change',
				message: `${this.#identity.name} (PID ${this.#identity.pid}): now ${frame.codec} ${frame.sampleRate} Hz, ${frame.channels} channel(s)`,
			});
		}
		this.#configKey = frame.configKey;
		this.#sampleRate = frame.sampleRate;
		const track: Track = {
			id: this.#identity.id,
			kind: 'audio',
			codec: frame.codec,
			timescale: frame.sampleRate,
			config: this.#framing.config(data, at, frame),
			name: this.#identity.name,
			audio: { sampleRate: frame.sampleRate, channels: frame.channels },
		};
		this.#sink.configured(track);
	}
}
