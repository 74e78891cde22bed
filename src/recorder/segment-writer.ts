/**
 * Turns one stream of tracks and packets into a sequence of finished files: the pipeline shared
 * by recordings and `tapedeck remux`.
 *
 * Per packet, in arrival order (demuxers deliver tracks interleaved; the writer does not reorder):
 * track filter → wait for the first video keyframe → timestamp sanitation and rebasing (Rebaser) →
 * split check at cut points (SplitPolicy) → the muxer of the open file. A new file gets a new muxer,
 * so its header carries every track's configuration (SPS/PPS/VPS, AudioSpecificConfig) and its
 * first packet is a keyframe. Nothing throws out of `announce`/`push`: errors go to `onError` and
 * the writer stops writing; single bad packets are dropped and counted.
 */

import { createMuxer } from '../../mux/create-muxer.ts';
import type { ContainerFormat, MuxerOptions } from '../../mux/muxer.ts';
import { TapedeckError } from '../core/errors.ts';
import type { MediaReceiver } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import { sameTrackParameters, type Track } from '../core/track.ts';
import { Rebaser, type RebaserStats, type SegmentationRule } from './rebaser.ts';
import { type OpenedSegment, SegmentFile, type SegmentInfo } from './segment-file.ts';
import type { SplitPolicy } from './split-policy.ts';
import type { TrackFilter } from './track-filter.ts';

export type { SegmentationRule } from './rebaser.ts';
export type { OpenedSegment, SegmentInfo } from './segment-file.ts';

export type SegmentWriterOptions = {
	format: ContainerFormat;
	muxerOptions?: MuxerOptions;
	segmentationRule: SegmentationRule;
	split?: SplitPolicy;
	trackFilter?: TrackFilter;
	/** Default 0. */
	firstSequence?: number;
	openSegment(sequence: number, startedAt: Date): OpenedSegment;
	/** After the file's sink closed successfully. */
	onSegmentClosed?(info: SegmentInfo): void;
	/** I/O and muxer errors; the writer stops writing, never throws from push. */
	onError?(error: Error): void;
	/** Wall clock, injectable for schedule tests. */
	now?(): Date;
	/** Muxer factory, injectable for tests; default the registry in mux/create-muxer.ts. */
	createMuxer?: typeof createMuxer;
};

export type SegmentWriterStats = RebaserStats & {
	/** Packets dropped while waiting for the first video keyframe of a file. */
	droppedBeforeKeyframe: number;
	/** Packets a muxer refused as malformed; the file carries on without them. */
	rejected: number;
	/** Files opened so far. */
	segments: number;
};

/** Non-video packets kept while waiting for a keyframe: they may belong after it (see `#hold`). */
const MAX_HELD_PACKETS = 512;
/**
 * How long after a cut the previous file stays open for tracks that lag it. MPEG-TS packs several
 * AAC frames per PES, so audio stamped before the keyframe arrives after it; those frames belong
 * to the file that ends at the keyframe, not before the start of the next one.
 */
const LATE_PACKET_WINDOW_MS = 2000;

export class SegmentWriter implements MediaReceiver {
	readonly #options: SegmentWriterOptions;
	readonly #rebaser: Rebaser;
	readonly #now: () => Date;
	readonly #createMuxer: typeof createMuxer;
	#tracks: readonly Track[] = [];
	readonly #trackById = new Map<number, Track>();
	#hasVideo = false;
	#file: SegmentFile | undefined;
	/** The file before the last cut, open until every lagging track has crossed the cut. */
	#previous: SegmentFile | undefined;
	/** Tracks that have not yet delivered a packet past the last cut. */
	readonly #lagging = new Set<number>();
	#nextSequence: number;
	#waitingForKeyframe = true;
	#held: Packet[] = [];
	#droppedBeforeKeyframe = 0;
	#rejected = 0;
	#segments = 0;
	/** Sinks close in the background, in order; close()/endSegment() wait for this chain. */
	#closing: Promise<void> = Promise.resolve();
	#stopped = false;
	#error: Error | undefined;

	constructor(options: SegmentWriterOptions) {
		this.#options = options;
		this.#rebaser = new Rebaser(options.segmentationRule);
		this.#now = options.now ?? (() => new Date());
		this.#createMuxer = options.createMuxer ?? createMuxer;
		this.#nextSequence = options.firstSequence ?? 0;
	}

	get current(): { sequence: number; path: string; bytes: number; durationMs: number } | undefined {
		const file = this.#file;
		if (!file) return undefined;
		return { sequence: file.sequence, path: file.path, bytes: file.sink.position, durationMs: file.durationMs };
	}

	get stats(): SegmentWriterStats {
		return {
			...this.#rebaser.stats,
			droppedBeforeKeyframe: this.#droppedBeforeKeyframe,
			rejected: this.#rejected,
			segments: this.#segments,
		};
	}

	/** The error that stopped the writer, if any (also passed to `onError`). */
	get error(): Error | undefined {
		return this.#error;
	}

	announce(tracks: readonly Track[]): void {
		if (this.#stopped) return;
		try {
			const selected = this.#options.trackFilter ? this.#options.trackFilter.select(tracks) : [...tracks];
			if (sameTracks(this.#tracks, selected)) return;
			// New codec parameters need a new header and a decoder restart: a new file, from a keyframe.
			this.#finishFiles();
			this.#waitingForKeyframe = true;
			this.#held = [];
			this.#tracks = selected;
			this.#trackById.clear();
			for (const track of selected) this.#trackById.set(track.id, track);
			this.#hasVideo = selected.some((t) => t.kind === 'video');
			this.#rebaser.setTracks(selected);
		} catch (error) {
			this.#fail(error);
		}
	}

	push(packet: Packet): void {
		if (this.#stopped) return;
		const track = this.#trackById.get(packet.trackId);
		if (!track) return;
		try {
			const cutPoint = this.#hasVideo ? track.kind === 'video' && packet.keyframe : true;
			if (!this.#waitingForKeyframe) {
				this.#write(packet, track, cutPoint);
			} else if (cutPoint) {
				this.#waitingForKeyframe = false;
				this.#write(packet, track, true);
				this.#flushHeld();
			} else if (track.kind !== 'video') {
				this.#hold(packet);
			} else {
				this.#droppedBeforeKeyframe++;
			}
		} catch (error) {
			this.#fail(error);
		}
	}

	/** Waits until the open file's sink has handed its bytes to the OS: the back-pressure point. */
	async drain(): Promise<void> {
		const file = this.#file;
		if (!file || this.#stopped) return;
		try {
			await file.sink.drain();
		} catch (error) {
			this.#fail(error);
		}
	}

	/** Finalizes the open file now (the stream dropped); the next packets open the next sequence from a keyframe. */
	async endSegment(): Promise<void> {
		if (!this.#stopped) {
			try {
				this.#finishFiles();
			} catch (error) {
				this.#fail(error);
			}
			this.#waitingForKeyframe = true;
			this.#held = [];
			this.#rebaser.restart();
		}
		await this.#closing;
	}

	/** Finalizes the open file and stops; idempotent. */
	async close(): Promise<void> {
		if (!this.#stopped) {
			this.#stopped = true;
			try {
				this.#finishFiles();
			} catch (error) {
				this.#report(error);
			}
		}
		await this.#closing;
	}

	#write(packet: Packet, track: Track, cutPoint: boolean): void {
		const rebaser = this.#rebaser;
		if (!rebaser.toRecording(packet)) return;
		let file = this.#file;
		if (file && cutPoint && this.#shouldSplit(file, packet.trackId)) {
			this.#cut(file, packet.trackId);
			file = undefined;
		}
		if (!file) {
			if (!cutPoint) return;
			file = this.#openFile();
			rebaser.startFile(packet.trackId);
		}
		const previous = this.#previous;
		const choice = rebaser.toFile(packet.trackId, previous !== undefined);
		if (choice === undefined) return;
		if (choice === 'previous') {
			this.#writeTo(previous!, packet, track);
			return;
		}
		if (previous) this.#crossed(packet.trackId);
		this.#writeTo(file, packet, track);
	}

	#writeTo(file: SegmentFile, packet: Packet, track: Track): void {
		const rebaser = this.#rebaser;
		const out: Packet = {
			trackId: packet.trackId,
			dts: rebaser.dts,
			pts: rebaser.pts,
			duration: rebaser.duration,
			keyframe: packet.keyframe,
			data: packet.data,
		};
		if (!file.write(out, track)) this.#rejected++;
	}

	/** Ends `file` at the cut packet: it stays open as `#previous` while other tracks still lag. */
	#cut(file: SegmentFile, cutTrackId: number): void {
		this.#finishPrevious();
		this.#file = undefined;
		this.#previous = file;
		for (const track of this.#tracks) if (track.id !== cutTrackId) this.#lagging.add(track.id);
		if (this.#lagging.size === 0) this.#finishPrevious();
	}

	/** A track delivered a packet past the cut; once all have (or the window passed), the previous file ends. */
	#crossed(trackId: number): void {
		this.#lagging.delete(trackId);
		if (this.#lagging.size === 0 || this.#rebaser.elapsedMs(trackId) > LATE_PACKET_WINDOW_MS) this.#finishPrevious();
	}

	#finishPrevious(): void {
		const previous = this.#previous;
		if (!previous) return;
		this.#previous = undefined;
		this.#lagging.clear();
		this.#finishFile(previous);
	}

	/** Finishes the previous and the open file, in that order. */
	#finishFiles(): void {
		this.#finishPrevious();
		const file = this.#file;
		if (!file) return;
		this.#file = undefined;
		this.#finishFile(file);
	}

	#shouldSplit(file: SegmentFile, trackId: number): boolean {
		const split = this.#options.split;
		if (!split) return false;
		return split.shouldSplit({
			elapsedMs: this.#rebaser.elapsedMs(trackId),
			bytes: file.sink.position,
			now: split.needsClock ? this.#now() : EPOCH,
		});
	}

	#openFile(): SegmentFile {
		const sequence = this.#nextSequence++;
		const startedAt = this.#now();
		const { format, muxerOptions } = this.#options;
		const file = new SegmentFile(sequence, startedAt, this.#options.openSegment(sequence, startedAt), (sink) =>
			this.#createMuxer(format, this.#tracks, sink, muxerOptions),
		);
		this.#options.split?.fileStarted(startedAt);
		this.#segments++;
		this.#file = file;
		return file;
	}

	/** Writes the trailer now; the sink closes in the background and `onSegmentClosed` follows. */
	#finishFile(file: SegmentFile): void {
		file.finish();
		const info = file.info(this.#options.format, this.#now());
		this.#closing = this.#closing
			.then(() => file.sink.close())
			.then(() => this.#options.onSegmentClosed?.(info))
			.catch((error: unknown) => this.#fail(error));
	}

	/**
	 * Audio that arrives before the keyframe may still belong after it: MPEG-TS demuxers complete a
	 * video PES only when the next one starts, so the audio muxed next to a keyframe comes out first.
	 * Held copies go through the rebaser after the keyframe; those before it are dropped there.
	 */
	#hold(packet: Packet): void {
		if (this.#held.length >= MAX_HELD_PACKETS) {
			const dropped = this.#held.splice(0, MAX_HELD_PACKETS / 2);
			this.#droppedBeforeKeyframe += dropped.length;
		}
		this.#held.push({ ...packet, data: packet.data.slice() });
	}

	#flushHeld(): void {
		const held = this.#held;
		this.#held = [];
		for (const packet of held) {
			const track = this.#trackById.get(packet.trackId);
			if (track) this.#write(packet, track, false);
		}
	}

	/** Stops writing for good: reports the error, then salvages what the open files hold. */
	#fail(error: unknown): void {
		if (this.#stopped && this.#error) return;
		this.#stopped = true;
		this.#report(error);
		for (const file of [this.#previous, this.#file]) {
			if (!file) continue;
			try {
				file.muxer.finish();
			} catch {
				// The muxer or sink is what failed; the file is left as far as it got.
			}
			this.#closing = this.#closing.then(() => file.sink.close()).catch(() => {});
		}
		this.#previous = undefined;
		this.#file = undefined;
	}

	#report(error: unknown): void {
		const reported = error instanceof Error ? error : new TapedeckError('internal', `segment writer: ${String(error)}`);
		this.#error ??= reported;
		this.#options.onError?.(reported);
	}
}

const EPOCH = new Date(0);

const sameTracks = (a: readonly Track[], b: readonly Track[]): boolean =>
	a.length === b.length && a.every((track, i) => sameTrack(track, b[i]));

const sameTrack = (a: Track, b: Track | undefined): boolean =>
	b !== undefined && a.id === b.id && a.name === b.name && sameTrackParameters(a, b);
