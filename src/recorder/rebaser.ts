/**
 * Where each packet lands on the timeline of the file it is written to.
 *
 * Two steps. First the source timeline becomes the *recording* timeline: one origin for all tracks
 * (the first packet written is 0, so A/V offsets are kept), cleaned on the way so one bad timestamp
 * never reaches a muxer, and no packet is dropped for its timestamp:
 * - a DTS that steps back within one frame (duplicates, jitter) is nudged one tick past the previous;
 * - a PTS before its DTS (which no decoder can honour) is raised to the DTS;
 * - a jump (a step back of more than a frame, or forward by more than 10 s, or by more than 0.5 s
 *   after the input said its timestamps jumped: StreamEpochs) is a discontinuity: a spliced feed,
 *   an encoder restart, a clock reset. The stream is re-origined once, when its first track jumps, so
 *   that track carries on one frame after its last packet; every other track takes the same offset
 *   when it jumps too (the packet that lands nearer the jumped timeline than the old one), so the A/V
 *   offset after the jump is the input's. A track whose first packet after the jump would overlap its
 *   own previous packets (its media ran past the others' before the jump) moves the whole epoch on by
 *   the overlap: the tracks already past the jump get a gap that long, and A/V stays in sync.
 * Then the recording timeline becomes the *file* timeline, per the segmentation rule:
 * - `discontinuity`: every file starts at 0 (its first packet's time is subtracted from all tracks);
 * - `continuity`: file 0 starts at 0 and each later file carries on where the previous ended, also
 *   after the source restarted (`restart()`), where OME merely passes the engine's clock through.
 * Timestamps stay integers in each track's own timescale; shared offsets are rescaled per track.
 */
import type { Packet } from '../core/packet.ts';
import { rescale } from '../core/time.ts';
import type { Track } from '../core/track.ts';
import { StreamEpochs } from './stream-epochs.ts';

export type SegmentationRule = 'continuity' | 'discontinuity';

/** Which file a packet goes to around a cut. */
export type FileChoice = 'current' | 'previous';

export const SEGMENTATION_RULES: readonly SegmentationRule[] = ['continuity', 'discontinuity'];

/** How far back a DTS may step and still be nudged when the track's frame duration is not known yet. */
const DEFAULT_NUDGE_S = 0.1;

export type RebaserStats = {
	/** Packets whose DTS was moved one tick past the previous one. */
	readonly nudged: number;
	/** Jumps healed by re-origining the stream. */
	readonly discontinuities: number;
	/** Packets dropped because they fall before the start of their file. */
	readonly droppedBeforeStart: number;
};

/** A jump the stream was re-origined at: the track that jumped first, and by how many seconds. */
export type TimestampJump = { readonly trackId: number; readonly seconds: number };

/** Where a packet lands. One object per Rebaser, overwritten by the next call: read it at once. */
export type Placement = {
	readonly dts: number;
	readonly pts: number;
	readonly duration: number;
	readonly file: FileChoice;
};

/** A point on a timeline: ticks of a given timescale. */
type Instant = { readonly ticks: number; readonly timescale: number };

type TrackTime = {
	readonly timescale: number;
	/** The shared origin in this track's ticks. */
	origin: number;
	/** The stream epoch (StreamEpochs) whose offset this track's timestamps take. */
	epoch: number;
	/** Ticks added to this track's source timestamps: its epoch's offset. */
	shift: number;
	lastSourceDts: number | undefined;
	/** Last DTS on the recording timeline. */
	lastDts: number | undefined;
	/** The track's frame duration as last seen: nudge limit, jump healing, duration of packets that lack one. */
	step: number;
	/** End (DTS + duration) of the track's latest packet on the recording timeline. */
	end: number;
	/** Recording time of the open file's first packet, in this track's ticks. */
	fileStart: number;
	/** The same for the file before it, which may still take this track's late packets. */
	previousFileStart: number;
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class Rebaser {
	readonly rule: SegmentationRule;
	readonly #onJump: ((jump: TimestampJump) => void) | undefined;
	readonly #stats: Mutable<RebaserStats> = { nudged: 0, discontinuities: 0, droppedBeforeStart: 0 };
	readonly #placement: Mutable<Placement> = { dts: 0, pts: 0, duration: 0, file: 'current' };
	readonly #tracks = new Map<number, TrackTime>();
	readonly #epochs = new StreamEpochs();
	/** DTS of the packet last mapped by `toRecording()`, on the recording timeline. */
	#recordingDts = 0;
	#origin: Instant | undefined;
	/** Under continuity after a restart: where the recording timeline carries on. */
	#resumeAt: Instant | undefined;

	constructor(rule: SegmentationRule, onJump?: (jump: TimestampJump) => void) {
		this.rule = rule;
		this.#onJump = onJump;
	}

	get stats(): RebaserStats {
		return { ...this.#stats };
	}

	/** Adopts a new track set; tracks that stay keep their history, so timestamps carry on. */
	setTracks(tracks: readonly Track[]): void {
		for (const id of [...this.#tracks.keys()]) {
			if (!tracks.some((t) => t.id === id && t.timescale === this.#tracks.get(id)?.timescale)) this.#tracks.delete(id);
		}
		const epoch = this.#epochs.latest;
		for (const track of tracks) {
			if (this.#tracks.has(track.id)) continue;
			this.#tracks.set(track.id, {
				timescale: track.timescale,
				origin: this.#origin ? rescale(this.#origin.ticks, this.#origin.timescale, track.timescale) : 0,
				epoch,
				shift: this.#epochs.shift(epoch, track.timescale),
				lastSourceDts: undefined,
				lastDts: undefined,
				step: 0,
				end: Number.NEGATIVE_INFINITY,
				fileStart: 0,
				previousFileStart: 0,
			});
		}
	}

	/** The input said its timestamps jump here: smaller forward steps count as a jump until one is seen. */
	hintJump(): void {
		this.#epochs.hint();
	}

	/**
	 * The source restarted (reconnect, stream dropped): its clock means nothing any more. Under
	 * continuity the next packet continues at the latest end written; under discontinuity the next
	 * file starts at 0 anyway.
	 */
	restart(): void {
		let end: Instant | undefined;
		for (const t of this.#tracks.values()) {
			if (t.end !== Number.NEGATIVE_INFINITY && (!end || t.end / t.timescale > end.ticks / end.timescale)) {
				end = { ticks: t.end, timescale: t.timescale };
			}
			t.epoch = 0;
			t.shift = 0;
			t.lastSourceDts = undefined;
			t.lastDts = undefined;
			t.end = Number.NEGATIVE_INFINITY;
		}
		this.#epochs.reset();
		this.#resumeAt = this.rule === 'continuity' ? end : undefined;
		this.#origin = undefined;
	}

	/** Maps a packet onto the recording timeline; undefined only for a track not announced. */
	toRecording(packet: Packet): Placement | undefined {
		const t = this.#tracks.get(packet.trackId);
		if (!t) return undefined;
		if (t.lastSourceDts !== undefined) this.#followJumps(packet, t);
		if (!this.#origin) this.#setOrigin(packet.dts + t.shift, t.timescale);
		let dts = packet.dts + t.shift - t.origin;
		let pts = packet.pts + t.shift - t.origin;
		const last = t.lastDts;
		if (last !== undefined && dts <= last) {
			pts += last + 1 - dts;
			dts = last + 1;
			this.#stats.nudged++;
		} else if (last !== undefined) {
			t.step = packet.duration > 0 ? packet.duration : dts - last;
		} else if (packet.duration > 0) {
			t.step = packet.duration;
		}
		if (pts < dts) pts = dts;
		t.lastSourceDts = packet.dts;
		t.lastDts = dts;
		const duration = packet.duration > 0 ? packet.duration : t.step;
		if (dts + duration > t.end) t.end = dts + duration;
		this.#recordingDts = dts;
		const placement = this.#placement;
		placement.dts = dts;
		placement.pts = pts;
		placement.duration = duration;
		placement.file = 'current';
		return placement;
	}

	/** The packet just mapped by `toRecording()` is the first of a new file. */
	startFile(trackId: number): void {
		const first = this.#tracks.get(trackId);
		if (!first) return;
		for (const t of this.#tracks.values()) {
			t.previousFileStart = t.fileStart;
			t.fileStart = rescale(this.#recordingDts, first.timescale, t.timescale);
		}
	}

	/** Media milliseconds from the open file's start to the packet just mapped by `toRecording()`. */
	elapsedMs(trackId: number): number {
		const t = this.#tracks.get(trackId);
		return t ? ((this.#recordingDts - t.fileStart) * 1000) / t.timescale : 0;
	}

	/**
	 * Moves the packet just mapped by `toRecording()` onto the timeline of the file it belongs to:
	 * the open one, the previous one (a late packet of a track that lags the cut, when the caller
	 * still has that file open), or none (before the start: dropped and counted).
	 */
	toFile(trackId: number, previousOpen: boolean): Placement | undefined {
		const t = this.#tracks.get(trackId);
		if (!t) return undefined;
		const placement = this.#placement;
		let start = t.fileStart;
		if (this.#recordingDts < t.fileStart) {
			if (!previousOpen || this.#recordingDts < t.previousFileStart) {
				this.#stats.droppedBeforeStart++;
				return undefined;
			}
			start = t.previousFileStart;
			placement.file = 'previous';
		}
		if (this.rule === 'discontinuity') {
			placement.dts -= start;
			placement.pts -= start;
		}
		return placement;
	}

	/** Moves the track to the epoch its packet belongs to, and keeps it from overlapping its own past. */
	#followJumps(packet: Packet, t: TrackTime): void {
		const nudgeLimit = t.step > 0 ? t.step : DEFAULT_NUDGE_S * t.timescale;
		const delta = packet.dts - ((t.lastSourceDts as number) + t.step);
		const before = this.#epochs.latest;
		const epoch = this.#epochs.place(t.epoch, delta, t.timescale, t.step + nudgeLimit);
		if (epoch === t.epoch) return;
		if (this.#epochs.latest > before) {
			this.#stats.discontinuities++;
			this.#onJump?.({ trackId: packet.trackId, seconds: delta / t.timescale });
		}
		t.epoch = epoch;
		t.shift = this.#epochs.shift(epoch, t.timescale);
		const overlap = t.end - (packet.dts + t.shift - t.origin);
		if (overlap <= 0) return;
		this.#epochs.moveOn(epoch, overlap, t.timescale);
		for (const u of this.#tracks.values()) if (u.epoch === epoch) u.shift = this.#epochs.shift(epoch, u.timescale);
	}

	/** The first packet of the recording (or of a restarted source) fixes the one origin of every track. */
	#setOrigin(sourceTicks: number, timescale: number): void {
		const resume = this.#resumeAt;
		const ticks = resume ? sourceTicks - rescale(resume.ticks, resume.timescale, timescale) : sourceTicks;
		this.#origin = { ticks, timescale };
		this.#resumeAt = undefined;
		for (const t of this.#tracks.values()) t.origin = rescale(ticks, timescale, t.timescale);
	}
}
