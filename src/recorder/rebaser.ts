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
 * Then the recording timeline becomes the *file* timeline. A file holds the packets from its first
 * keyframe's DTS on; a track that lags the cut sends what it has before the keyframe's PTS to the
 * file before, so both files cover the same presentation span in every track. A file's 0 is its
 * *origin*: the earliest presentation time of its first packets over all tracks, as `ffmpeg -c copy`
 * sets it. The keyframe's B-frame delay then decodes before 0 (negative DTS, which every muxer takes)
 * and no file starts with an empty lead edit. The origin is only known once every track delivered its
 * first packet to the file: the caller keeps those back until `settleOrigin()`. Under `continuity`
 * (SegmentationRule) every file shares file 0's origin; a container that stores no negative DTS (FLV:
 * its muxer moves a file that has one later by the delay, as ffmpeg does) would move file 0 alone:
 * there file 0's 0 is its keyframe's DTS instead.
 * Timestamps stay integers in each track's own timescale; shared offsets are rescaled per track.
 */
import type { Packet } from '../core/packet.ts';
import { rescale } from '../core/time.ts';
import type { Track } from '../core/track.ts';
import type { SegmentationRule } from './segmentation-rule.ts';
import { StreamEpochs } from './stream-epochs.ts';

/** Which file a packet goes to around a cut. */
export type FileChoice = 'current' | 'previous';

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

/** Where a packet lands on the recording timeline. One object per Rebaser, overwritten by the next call: read it at once. */
export type Placement = {
	readonly dts: number;
	readonly pts: number;
	readonly duration: number;
};

/** A point on a timeline: ticks of a given timescale. */
export type Instant = { readonly ticks: number; readonly timescale: number };

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
	/** Recording presentation time of that packet (a keyframe), in this track's ticks. */
	filePresentation: number;
	/** The same for the file before it, which may still take this track's late packets. */
	previousFileStart: number;
	/** Recording time of the open file's 0 (its origin), in this track's ticks. */
	fileOrigin: number;
	/** The same for the file before it. */
	previousFileOrigin: number;
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class Rebaser {
	readonly rule: SegmentationRule;
	readonly #negativeDts: boolean;
	readonly #onJump: ((jump: TimestampJump) => void) | undefined;
	readonly #stats: Mutable<RebaserStats> = { nudged: 0, discontinuities: 0, droppedBeforeStart: 0 };
	readonly #placement: Mutable<Placement> = { dts: 0, pts: 0, duration: 0 };
	readonly #tracks = new Map<number, TrackTime>();
	readonly #epochs = new StreamEpochs();
	/** DTS of the packet last mapped by `toRecording()`, on the recording timeline. */
	#recordingDts = 0;
	/** Its PTS. */
	#recordingPts = 0;
	#origin: Instant | undefined;
	/** Under continuity after a restart: where the recording timeline carries on. */
	#resumeAt: Instant | undefined;
	/** The open file's origin on the recording timeline; undefined until settled. */
	#fileOrigin: Instant | undefined;
	/** Under continuity: the first file's origin, the 0 of every file. */
	#continuityOrigin: Instant | undefined;
	/** The open file's first packet on the recording timeline. */
	#fileStart: Instant = { ticks: 0, timescale: 1 };

	/** `negativeDts`: the container takes DTS before 0 (default true). */
	constructor(rule: SegmentationRule, onJump?: (jump: TimestampJump) => void, negativeDts = true) {
		this.rule = rule;
		this.#negativeDts = negativeDts;
		this.#onJump = onJump;
	}

	/** Live counters (read on every packet: no copy). */
	get stats(): RebaserStats {
		return this.#stats;
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
				filePresentation: 0,
				previousFileStart: 0,
				fileOrigin: this.#fileOrigin ? rescale(this.#fileOrigin.ticks, this.#fileOrigin.timescale, track.timescale) : 0,
				previousFileOrigin: 0,
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
		this.#recordingPts = pts;
		const placement = this.#placement;
		placement.dts = dts;
		placement.pts = pts;
		placement.duration = duration;
		return placement;
	}

	/**
	 * The packet just mapped by `toRecording()` is the first of a new file. Under continuity after the
	 * first file the origin is already known; otherwise `settling` holds until `settleOrigin()`.
	 */
	startFile(trackId: number): void {
		const first = this.#tracks.get(trackId);
		if (!first) return;
		for (const t of this.#tracks.values()) {
			t.previousFileStart = t.fileStart;
			t.previousFileOrigin = t.fileOrigin;
			t.fileStart = rescale(this.#recordingDts, first.timescale, t.timescale);
			t.filePresentation = rescale(this.#recordingPts, first.timescale, t.timescale);
		}
		this.#fileOrigin = undefined;
		this.#fileStart = { ticks: this.#recordingDts, timescale: first.timescale };
		if (this.#continuityOrigin) this.#settle(this.#continuityOrigin);
	}

	/** True while the open file's origin waits for the first packets of its tracks (`settleOrigin()`). */
	get settling(): boolean {
		return this.#fileOrigin === undefined;
	}

	/** The open file's origin is the earliest presentation time of its first packets, on the recording timeline. */
	settleOrigin(earliest: Instant): void {
		if (this.rule === 'continuity') this.#continuityOrigin ??= this.#negativeDts ? earliest : this.#fileStart;
		this.#settle(this.#continuityOrigin ?? earliest);
	}

	/** Media milliseconds from the open file's start to the packet just mapped by `toRecording()`. */
	elapsedMs(trackId: number): number {
		const t = this.#tracks.get(trackId);
		return t ? ((this.#recordingDts - t.fileStart) * 1000) / t.timescale : 0;
	}

	/**
	 * Which file the packet just mapped by `toRecording()` belongs to: the open one, the previous one
	 * (a late packet of a track that lags the cut, when the caller still has that file open), or none
	 * (before the start: dropped and counted).
	 */
	fileOf(trackId: number, previousOpen: boolean): FileChoice | undefined {
		const t = this.#tracks.get(trackId);
		if (!t) return undefined;
		const dts = this.#recordingDts;
		if (previousOpen && dts >= t.previousFileStart && dts < t.filePresentation) return 'previous';
		if (dts >= t.fileStart) return 'current';
		this.#stats.droppedBeforeStart++;
		return undefined;
	}

	/** A track's recording time as the time on `file`'s timeline. */
	onFile(trackId: number, file: FileChoice, ticks: number): number {
		const t = this.#tracks.get(trackId);
		if (!t) return ticks;
		return ticks - (file === 'current' ? t.fileOrigin : t.previousFileOrigin);
	}

	#settle(origin: Instant): void {
		this.#fileOrigin = origin;
		for (const t of this.#tracks.values()) t.fileOrigin = rescale(origin.ticks, origin.timescale, t.timescale);
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
