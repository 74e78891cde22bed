/**
 * Where each packet lands on the timeline of the file it is written to.
 *
 * Two steps. First the source timeline becomes the *recording* timeline: one origin for all tracks
 * (the first packet written is 0, so A/V offsets are kept), cleaned on the way so one bad timestamp
 * never reaches a muxer — the failure recorder users report most (files that stop or stutter on playback):
 * - a DTS that steps back within one frame (duplicates, jitter) is nudged one tick past the previous;
 * - a DTS that steps back further is dropped until the track catches up;
 * - a PTS before its DTS (which no decoder can honour) is raised to the DTS;
 * - a jump of more than 10 s either way is a discontinuity (encoder restart, clock reset): the track
 *   is re-origined to carry on one frame after its last packet, so the file stays continuous.
 * Then the recording timeline becomes the *file* timeline, per the segmentation rule:
 * - `discontinuity`: every file starts at 0 (its first packet's time is subtracted from all tracks);
 * - `continuity`: file 0 starts at 0 and each later file carries on where the previous ended, also
 *   after the source restarted (`restart()`), where OME merely passes the engine's clock through.
 * Timestamps stay integers in each track's own timescale; the shared origin is rescaled per track.
 */
import type { Packet } from '../core/packet.ts';
import { rescale } from '../core/time.ts';
import type { Track } from '../core/track.ts';

export type SegmentationRule = 'continuity' | 'discontinuity';

/** Which file a packet goes to around a cut. */
export type FileChoice = 'current' | 'previous';

export const SEGMENTATION_RULES: readonly SegmentationRule[] = ['continuity', 'discontinuity'];

/** A jump of more than this is a discontinuity rather than a late or early packet. */
const JUMP_LIMIT_S = 10;
/** How far back a DTS may step and still be nudged when the track's frame duration is not known yet. */
const DEFAULT_NUDGE_S = 0.1;

export type RebaserStats = {
	/** Packets whose DTS was moved one tick past the previous one. */
	nudged: number;
	/** Packets dropped because their DTS went back by more than a frame. */
	droppedNonMonotonic: number;
	/** Jumps of more than 10 s healed by re-origining the track. */
	discontinuities: number;
	/** Packets dropped because they fall before the start of their file. */
	droppedBeforeStart: number;
};

/** A point on a timeline: ticks of a given timescale. */
type Instant = { readonly ticks: number; readonly timescale: number };

type TrackTime = {
	readonly timescale: number;
	/** The shared origin in this track's ticks. */
	origin: number;
	/** Ticks added to this track's source timestamps by healed jumps. */
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

export class Rebaser {
	readonly rule: SegmentationRule;
	readonly stats: RebaserStats = { nudged: 0, droppedNonMonotonic: 0, discontinuities: 0, droppedBeforeStart: 0 };
	/** Results of the last successful `toRecording()` / `toFile()`. */
	dts = 0;
	pts = 0;
	duration = 0;
	readonly #tracks = new Map<number, TrackTime>();
	/** DTS of the packet last mapped by `toRecording()`, on the recording timeline. */
	#recordingDts = 0;
	#origin: Instant | undefined;
	/** Under continuity after a restart: where the recording timeline carries on. */
	#resumeAt: Instant | undefined;

	constructor(rule: SegmentationRule) {
		this.rule = rule;
	}

	/** Adopts a new track set; tracks that stay keep their history, so timestamps carry on. */
	setTracks(tracks: readonly Track[]): void {
		for (const id of [...this.#tracks.keys()]) {
			if (!tracks.some((t) => t.id === id && t.timescale === this.#tracks.get(id)?.timescale)) this.#tracks.delete(id);
		}
		for (const track of tracks) {
			if (this.#tracks.has(track.id)) continue;
			const origin = this.#origin ? rescale(this.#origin.ticks, this.#origin.timescale, track.timescale) : 0;
			this.#tracks.set(track.id, {
				timescale: track.timescale,
				origin,
				shift: 0,
				lastSourceDts: undefined,
				lastDts: undefined,
				step: 0,
				end: Number.NEGATIVE_INFINITY,
				fileStart: 0,
				previousFileStart: 0,
			});
		}
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
			t.shift = 0;
			t.lastSourceDts = undefined;
			t.lastDts = undefined;
			t.end = Number.NEGATIVE_INFINITY;
		}
		this.#resumeAt = this.rule === 'continuity' ? end : undefined;
		this.#origin = undefined;
	}

	/** Maps a packet onto the recording timeline (into `dts`, `pts`, `duration`); false when it must be dropped. */
	toRecording(packet: Packet): boolean {
		const t = this.#tracks.get(packet.trackId);
		if (!t) return false;
		const jumpLimit = JUMP_LIMIT_S * t.timescale;
		if (t.lastSourceDts !== undefined && Math.abs(packet.dts - t.lastSourceDts) > jumpLimit) {
			t.shift += t.lastSourceDts + t.step - packet.dts;
			this.stats.discontinuities++;
		}
		if (!this.#origin) this.#setOrigin(packet.dts + t.shift, t.timescale);
		let dts = packet.dts + t.shift - t.origin;
		let pts = packet.pts + t.shift - t.origin;
		const last = t.lastDts;
		if (last !== undefined && dts <= last) {
			const nudgeLimit = t.step > 0 ? t.step : DEFAULT_NUDGE_S * t.timescale;
			if (last - dts > nudgeLimit) {
				this.stats.droppedNonMonotonic++;
				return false;
			}
			dts = last + 1;
			this.stats.nudged++;
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
		this.dts = dts;
		this.pts = pts;
		this.duration = duration;
		return true;
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
	toFile(trackId: number, previousOpen: boolean): FileChoice | undefined {
		const t = this.#tracks.get(trackId);
		if (!t) return undefined;
		let start = t.fileStart;
		let choice: FileChoice = 'current';
		if (this.#recordingDts < t.fileStart) {
			if (!previousOpen || this.#recordingDts < t.previousFileStart) {
				this.stats.droppedBeforeStart++;
				return undefined;
			}
			start = t.previousFileStart;
			choice = 'previous';
		}
		if (this.rule === 'discontinuity') {
			this.dts -= start;
			this.pts -= start;
		}
		return choice;
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
