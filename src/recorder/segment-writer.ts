/**
 * Turns one stream of tracks and packets into a sequence of finished files: the pipeline shared
 * by recordings and `tapedeck remux`.
 *
 * Per packet, in arrival order (demuxers deliver tracks interleaved; the writer does not reorder):
 * track set (filter, what the container carries) → wait for the first video keyframe → timestamp
 * sanitation and rebasing (Rebaser) → split check at cut points (SplitPolicy) → the muxer of the open
 * file. A new file gets a new muxer, so its header carries every track's configuration and its first
 * video packet is a keyframe. Track changes: a muxer that takes the new parameters (`updateTrack`) carries
 * on in the same file; otherwise the unchanged tracks go on in the open file up to the next cut point
 * and the next file starts there with the new set (`#openAtChange`: what the changed tracks sent in
 * between). Nothing throws out of `announce`/`push`: a packet a muxer refuses is dropped, counted
 * and warned about; an I/O error goes to `onError` and stops the writer. Everything that does not
 * reach a file as it was is said through `onWarning`.
 */

import { createMuxer } from '../../mux/create-muxer.ts';
import type { ContainerFormat, MuxerOptions } from '../../mux/muxer.ts';
import type { MediaReceiver, MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import { HeldPackets } from './held-packets.ts';
import { Rebaser, type RebaserStats } from './rebaser.ts';
import type { OpenedSegment, SegmentInfo } from './segment-file.ts';
import { SegmentFiles } from './segment-files.ts';
import type { SegmentationRule } from './segmentation-rule.ts';
import type { SplitPolicy } from './split-policy.ts';
import type { TrackFilter } from './track-filter.ts';
import { isCutPoint, TrackPlan } from './track-plan.ts';
import { TrackSet } from './track-set.ts';
import { WriterLosses } from './writer-losses.ts';

export type { OpenedSegment, SegmentInfo } from './segment-file.ts';
export type { SegmentationRule } from './segmentation-rule.ts';

export type SegmentWriterOptions = {
	format: ContainerFormat;
	muxerOptions?: MuxerOptions;
	segmentationRule: SegmentationRule;
	split?: SplitPolicy;
	trackFilter?: TrackFilter;
	/** Default 0. */
	firstSequence?: number;
	/** Media milliseconds a track may send nothing while a file waits for it; then the file starts without it. Default 5000. */
	missingTrackWaitMs?: number;
	/** Opens the sink of file `sequence`, which will hold `tracks`. */
	openSegment(sequence: number, startedAt: Date, tracks: readonly Track[]): OpenedSegment;
	/** After the file's sink closed (`damaged` when its trailer could not be written). */
	onSegmentClosed?(info: SegmentInfo): void;
	/** I/O errors; the writer stops writing, never throws from push. */
	onError?(error: Error): void;
	/** What did not reach a file as it was: packets dropped, tracks left out, jumps, parameter changes. */
	onWarning?(warning: MediaWarning): void;
	/** Wall clock, injectable for schedule tests. */
	now?(): Date;
	/** Muxer factory, injectable for tests; default the registry in mux/create-muxer.ts. */
	createMuxer?: typeof createMuxer;
};

export type SegmentWriterStats = RebaserStats &
	Pick<WriterLosses, 'droppedBeforeKeyframe' | 'rejected' | 'notCarried'> & {
		/** Files opened so far. */
		segments: number;
	};

const DEFAULT_MISSING_TRACK_WAIT_MS = 5000;

export class SegmentWriter implements MediaReceiver {
	readonly #options: SegmentWriterOptions;
	readonly #rebaser: Rebaser;
	readonly #files: SegmentFiles;
	readonly #plan: TrackPlan;
	#waitingForKeyframe = true;
	readonly #held: HeldPackets;
	readonly #losses: WriterLosses;
	#stopped = false;
	#error: Error | undefined;

	constructor(options: SegmentWriterOptions) {
		this.#options = options;
		const losses = new WriterLosses((code, message) => this.#warn(code, message));
		this.#losses = losses;
		this.#rebaser = new Rebaser(
			options.segmentationRule,
			(jump) => losses.timestampJump(jump),
			// FLV stores no timestamp before 0 (its muxer moves such a file later, ffmpeg's way)
			options.format !== 'flv',
		);
		this.#held = new HeldPackets((dropped) => losses.overflowWhileWaiting(dropped));
		this.#files = new SegmentFiles({
			...options,
			rebaser: this.#rebaser,
			createMuxer: options.createMuxer ?? createMuxer,
			now: options.now ?? (() => new Date()),
			onClosed: (info) => {
				if (info.damaged) losses.trailerNotWritten(info.sequence, info.damaged);
				options.onSegmentClosed?.(info);
			},
			onRefused: (packet, track, reason) => losses.refused(packet, track, reason),
			onError: (error) => this.#fail(error),
		});
		this.#plan = new TrackPlan(this.#rebaser, this.#files, (code, message) => this.#warn(code, message));
	}

	get current(): { sequence: number; path: string; bytes: number; durationMs: number } | undefined {
		return this.#files.current;
	}

	get stats(): SegmentWriterStats {
		return {
			...this.#rebaser.stats,
			droppedBeforeKeyframe: this.#losses.droppedBeforeKeyframe,
			rejected: this.#losses.rejected,
			notCarried: this.#losses.notCarried,
			segments: this.#files.opened,
		};
	}

	/** The error that stopped the writer, if any (also passed to `onError`). */
	get error(): Error | undefined {
		return this.#error;
	}

	announce(tracks: readonly Track[]): void {
		if (this.#stopped) return;
		try {
			this.#plan.announce(
				TrackSet.select(tracks, this.#options.format, this.#options.trackFilter, (w) => this.#options.onWarning?.(w)),
			);
		} catch (error) {
			this.#fail(error);
		}
	}

	/** The input's own account of what it lost or changed; a timestamp jump also readies the rebaser for it. */
	warn(warning: MediaWarning): void {
		if (warning.code === 'timestamp_jump') this.#rebaser.hintJump();
		this.#options.onWarning?.(warning);
	}

	push(packet: Packet): void {
		if (this.#stopped) return;
		try {
			this.#route(packet);
		} catch (error) {
			this.#fail(error);
		}
	}

	/** Waits until the open file's sink has handed its bytes to the OS: the back-pressure point. */
	async drain(): Promise<void> {
		if (this.#stopped) return;
		try {
			await this.#files.drain();
		} catch (error) {
			this.#fail(error);
		}
	}

	/** Finalizes the open file now (the stream dropped); the next packets open the next sequence from a keyframe. */
	async endSegment(): Promise<void> {
		if (!this.#stopped) {
			this.#files.finishAll();
			this.#restartWait();
			this.#rebaser.restart();
			this.#dropHeld();
		}
		await this.#files.closed();
	}

	/** Finalizes the open file and stops; idempotent. */
	async close(): Promise<void> {
		if (!this.#stopped) {
			this.#stopped = true;
			this.#files.finishAll();
			this.#dropHeld();
		}
		await this.#files.closed();
	}

	#route(packet: Packet): void {
		const route = this.#plan.route(packet);
		if (route === 'hold') {
			this.#held.hold(packet);
			return;
		}
		if (route === 'pass') {
			this.#accept(packet);
			return;
		}
		this.#files.retire(route.lagging);
		this.#restartWait();
		this.#openAtChange(packet);
	}

	/**
	 * The cut to a changed track set, at `cut`, with what the changed tracks sent while the cut was
	 * awaited. Audio (any track but video) from before the cut opens the new file, so that file starts
	 * where the change did and nothing of the wait is lost; the file's origin is then that audio's
	 * time and its video starts later (an edit list / tfdt / start offset, as the container has it).
	 * Frames of a changed video track before its first keyframe cannot be decoded in either file (they
	 * come with the new parameter sets and need references from before them): dropped, and named.
	 */
	#openAtChange(cut: Packet): void {
		const tracks = this.#plan.tracks;
		const { lead, after, frames } = this.#held.takeAtCut(cut, (id) => tracks.get(id));
		for (const track of tracks.tracks) {
			const undecodable = frames.filter((p) => p.trackId === track.id);
			if (undecodable.length > 0) this.#losses.undecodableAfterChange(track, undecodable);
		}
		if (lead.length === 0) {
			this.#accept(cut);
		} else {
			for (const [i, packet] of lead.entries()) this.#writeHeard(packet, i === 0);
			this.#waitingForKeyframe = false;
			this.#writeHeard(cut, false);
		}
		for (const packet of after) this.#accept(packet);
	}

	/** Writes a packet of a track in the set (`cutPoint`: it may open a file), as heard from. */
	#writeHeard(packet: Packet, cutPoint: boolean): void {
		const track = this.#plan.tracks.get(packet.trackId) as Track;
		this.#plan.heard(track.id);
		this.#write(packet, track, cutPoint);
	}

	#accept(packet: Packet): void {
		const tracks = this.#plan.tracks;
		const track = tracks.get(packet.trackId);
		if (!track) {
			if (this.#plan.rejoin(packet.trackId)) this.#route(packet);
			else this.#losses.notCarriedPacket();
			return;
		}
		this.#plan.heard(track.id);
		const cutPoint = isCutPoint(tracks, track, packet);
		if (!this.#waitingForKeyframe) {
			this.#write(packet, track, cutPoint);
		} else if (cutPoint) {
			this.#waitingForKeyframe = false;
			this.#write(packet, track, true);
			this.#flushHeld();
		} else if (track.kind !== 'video') {
			this.#held.hold(packet);
			this.#giveUpOnSilentTracks();
		} else {
			this.#losses.videoBeforeKeyframe();
		}
	}

	#write(packet: Packet, track: Track, cutPoint: boolean): void {
		const before = this.#rebaser.stats.droppedBeforeStart;
		this.#files.write(packet, track, this.#plan.tracks.tracks, cutPoint);
		// A packet stamped before the keyframe its file starts at has no place in any file: dropped, and said so.
		if (this.#rebaser.stats.droppedBeforeStart !== before) this.#losses.beforeFileStart(track);
	}

	/**
	 * While a file waits for its video keyframe, a video track that has sent nothing for
	 * `missingTrackWaitMs` of the others' media is left out, so the file starts with what is there.
	 */
	#giveUpOnSilentTracks(): void {
		const waitedMs = this.#held.spanMs((id) => this.#plan.tracks.get(id)?.timescale);
		if (waitedMs < (this.#options.missingTrackWaitMs ?? DEFAULT_MISSING_TRACK_WAIT_MS)) return;
		const silent = this.#plan.leaveOutSilentVideo();
		if (silent.length === 0) return;
		for (const track of silent) this.#losses.silentTrackLeftOut(track, waitedMs);
		this.#flushHeld();
	}

	#flushHeld(): void {
		for (const packet of this.#held.take()) this.#accept(packet);
	}

	/** The source ended or restarted with packets still waiting for a keyframe: dropped, and said so. */
	#dropHeld(): void {
		this.#losses.keyframeNeverCame(this.#held.take().length);
	}

	#restartWait(): void {
		this.#waitingForKeyframe = true;
		this.#plan.resetHeard();
	}

	#warn(code: MediaWarning['code'], message: string): void {
		this.#options.onWarning?.({ code, message });
	}

	/** Stops writing for good: reports the error, then salvages what the open files hold. */
	#fail(error: unknown): void {
		if (this.#stopped && this.#error) return;
		this.#stopped = true;
		const reported = error instanceof Error ? error : new Error(`segment writer: ${String(error)}`);
		this.#error ??= reported;
		this.#files.abandon();
		this.#options.onError?.(reported);
	}
}
