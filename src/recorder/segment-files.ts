/**
 * The files a SegmentWriter has open: the one being written and, just after a cut, the one before
 * it, kept open while a lagging track crosses the cut (MPEG-TS packs several AAC frames per PES, so
 * audio stamped before the keyframe arrives after it; those frames belong to the file that ends at
 * the keyframe). Decides at each cut point whether to split, places each packet on its file's
 * timeline (Rebaser; a new file's first packets wait in OpeningPackets until its origin is known)
 * and closes the sinks in order in the background.
 */
import type { createMuxer } from '../../mux/create-muxer.ts';
import type { ContainerFormat, MuxerOptions } from '../../mux/muxer.ts';
import type { MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import { OpeningPackets } from './opening-packets.ts';
import type { FileChoice, Rebaser } from './rebaser.ts';
import { type OpenedSegment, SegmentFile, type SegmentInfo } from './segment-file.ts';
import type { SplitPolicy } from './split-policy.ts';

export type SegmentFilesOptions = {
	readonly format: ContainerFormat;
	readonly muxerOptions?: MuxerOptions;
	readonly split?: SplitPolicy;
	readonly firstSequence?: number;
	readonly rebaser: Rebaser;
	readonly createMuxer: typeof createMuxer;
	readonly now: () => Date;
	openSegment(sequence: number, startedAt: Date): OpenedSegment;
	onClosed(info: SegmentInfo): void;
	/** A muxer refused a packet (`packet` as it came): the file carries on without it. */
	onRefused(packet: Packet, track: Track, reason: string): void;
	onError(error: unknown): void;
	/** What a muxer had to change for its container (MuxerOptions.warn), told to the user. */
	onWarning?(warning: MediaWarning): void;
};

/**
 * Formats that leave out a track that sent nothing, as ffmpeg's do: progressive MP4/MOV write their
 * track list (moov) at the end; FLV writes a track's sequence header before its first packet (only the
 * header's TypeFlags still name it). TS (PMT), AVI (stream headers) and fragmented MP4 (moov) declare
 * their streams before the media, so the track stays listed with no media, as in ffmpeg's TS and AVI.
 */
const LEAVES_OUT_EMPTY_TRACKS: readonly ContainerFormat[] = ['mp4', 'mov', 'flv'];

/** How long after a cut the previous file stays open for tracks that lag it. */
const LATE_PACKET_WINDOW_MS = 2000;

const EPOCH = new Date(0);

export class SegmentFiles {
	readonly #options: SegmentFilesOptions;
	#file: SegmentFile | undefined;
	#previous: SegmentFile | undefined;
	/** Tracks that have not yet delivered a packet past the last cut. */
	readonly #lagging = new Set<number>();
	#tracks: readonly Track[] = [];
	/** The tracks each open file was made with (and the late ones it took). */
	readonly #fileTracks = new WeakMap<SegmentFile, readonly Track[]>();
	readonly #opening = new OpeningPackets();
	#nextSequence: number;
	#opened = 0;
	/** Sinks close in the background, in order; `closed()` waits for this chain. */
	#closing: Promise<void> = Promise.resolve();

	constructor(options: SegmentFilesOptions) {
		this.#options = options;
		this.#nextSequence = options.firstSequence ?? 0;
	}

	get file(): SegmentFile | undefined {
		return this.#file;
	}

	get opened(): number {
		return this.#opened;
	}

	get current(): { sequence: number; path: string; bytes: number; durationMs: number } | undefined {
		const file = this.#file;
		if (!file) return undefined;
		return { sequence: file.sequence, path: file.path, bytes: file.sink.position, durationMs: file.durationMs };
	}

	/**
	 * Writes a packet of `track` (one of `tracks`, the set a new file is made with): splits first when
	 * it is a cut point the policy asks for, opens a file at a cut point when none is open. A packet a
	 * muxer refuses goes to `onRefused`, one before its file's start is dropped and counted; throws I/O errors.
	 */
	write(packet: Packet, track: Track, tracks: readonly Track[], cutPoint: boolean): void {
		const rebaser = this.#options.rebaser;
		const recording = rebaser.toRecording(packet);
		if (!recording) return;
		const { dts, pts, duration } = recording;
		let file = this.#file;
		if (file && cutPoint && this.#shouldSplit(file, packet.trackId)) {
			this.#cut(packet.trackId);
			file = undefined;
		}
		// The set may grow in place (a late track the muxer took): the next cut's laggards are all of it.
		if (file && tracks !== this.#tracks) this.#fileTracks.set(file, tracks);
		this.#tracks = tracks;
		if (!file) {
			if (!cutPoint) return;
			file = this.#open();
			rebaser.startFile(packet.trackId);
		}
		const previous = this.#previous;
		// Only a track still lagging the cut may go back to the file before it.
		const choice = rebaser.fileOf(packet.trackId, previous !== undefined && this.#lagging.has(packet.trackId));
		if (choice === undefined) return;
		if (choice === 'previous' && previous) {
			this.#put(previous, choice, packet, track, dts, pts, duration);
			return;
		}
		if (previous) this.#crossed(packet.trackId);
		if (!rebaser.settling) {
			this.#put(file, 'current', packet, track, dts, pts, duration);
			return;
		}
		this.#opening.keep(packet, track, dts, pts, duration);
		if (this.#opening.complete(tracks)) this.settle();
	}

	/**
	 * Fixes the open file's origin at the first packets it has (see OpeningPackets) and writes them.
	 * Also called on the way out (finish, cut, track change), so an I/O error goes to `onError`.
	 */
	settle(): void {
		const file = this.#file;
		const earliest = this.#opening.earliest;
		if (!file || !earliest) return;
		this.#options.rebaser.settleOrigin(earliest);
		try {
			for (const kept of this.#opening.take()) {
				this.#put(file, 'current', kept.packet, kept.track, kept.dts, kept.pts, kept.duration);
			}
		} catch (error) {
			this.#options.onError(error);
		}
	}

	async drain(): Promise<void> {
		await this.#file?.sink.drain();
	}

	/** Ends the file before the last cut now (its lagging tracks will not be waited for). */
	finishPrevious(): void {
		const previous = this.#previous;
		if (!previous) return;
		this.#previous = undefined;
		this.#lagging.clear();
		this.#finish(previous);
	}

	/** Finishes the previous and the open file, in that order. */
	finishAll(): void {
		this.settle();
		this.finishPrevious();
		const file = this.#file;
		if (!file) return;
		this.#file = undefined;
		this.#finish(file);
	}

	/** After an I/O error: closes the open files as far as they got, reporting nothing more. */
	abandon(): void {
		this.#opening.take();
		for (const file of [this.#previous, this.#file]) {
			if (!file) continue;
			file.finish();
			this.#closing = this.#closing.then(() => file.sink.close()).catch(() => {});
		}
		this.#previous = undefined;
		this.#file = undefined;
	}

	/** Resolves once every finished file's sink has closed. */
	closed(): Promise<void> {
		return this.#closing;
	}

	/**
	 * Ends the open file before the packet at hand (a cut to new tracks): it stays open as the previous
	 * file while the `lagging` tracks may still deliver packets that belong before the cut.
	 */
	retire(lagging: ReadonlySet<number>): void {
		this.settle();
		this.finishPrevious();
		const file = this.#file;
		if (!file) return;
		this.#file = undefined;
		this.#previous = file;
		for (const id of lagging) this.#lagging.add(id);
		if (this.#lagging.size === 0) this.finishPrevious();
	}

	/** Ends the open file at the cut packet: it stays open as the previous file while other tracks still lag. */
	#cut(cutTrackId: number): void {
		this.retire(new Set(this.#tracks.filter((t) => t.id !== cutTrackId).map((t) => t.id)));
	}

	/** A track delivered a packet past the cut; once all have (or the window passed), the previous file ends. */
	#crossed(trackId: number): void {
		this.#lagging.delete(trackId);
		if (this.#lagging.size === 0 || this.#options.rebaser.elapsedMs(trackId) > LATE_PACKET_WINDOW_MS) {
			this.finishPrevious();
		}
	}

	/** Writes a packet of `file` whose recording timestamps are given, on that file's timeline. */
	#put(
		file: SegmentFile,
		choice: FileChoice,
		packet: Packet,
		track: Track,
		dts: number,
		pts: number,
		duration: number,
	): void {
		const rebaser = this.#options.rebaser;
		const out: Packet = {
			trackId: packet.trackId,
			dts: rebaser.onFile(packet.trackId, choice, dts),
			pts: rebaser.onFile(packet.trackId, choice, pts),
			duration,
			keyframe: packet.keyframe,
			data: packet.data,
		};
		const refused = file.write(out, track);
		if (refused !== undefined) this.#options.onRefused(packet, track, refused);
	}

	#shouldSplit(file: SegmentFile, trackId: number): boolean {
		const split = this.#options.split;
		if (!split) return false;
		return split.shouldSplit({
			elapsedMs: this.#options.rebaser.elapsedMs(trackId),
			bytes: file.sink.position,
			now: split.needsClock ? this.#options.now() : EPOCH,
		});
	}

	#open(): SegmentFile {
		const { format, muxerOptions, createMuxer, onWarning } = this.#options;
		const sequence = this.#nextSequence++;
		const startedAt = this.#options.now();
		const tracks = this.#tracks;
		const file = new SegmentFile(sequence, startedAt, this.#options.openSegment(sequence, startedAt), (sink) =>
			createMuxer(format, tracks, sink, onWarning ? { ...muxerOptions, warn: onWarning } : muxerOptions),
		);
		this.#options.split?.fileStarted(startedAt);
		this.#opened++;
		this.#file = file;
		this.#fileTracks.set(file, tracks);
		return file;
	}

	/** Writes the trailer now (a failing one leaves the file marked damaged); the sink closes in the background. */
	#finish(file: SegmentFile): void {
		const damaged = file.finish();
		this.#warnEmptyTracks(file);
		const info = file.info(this.#options.format, this.#options.now(), damaged);
		this.#closing = this.#closing
			.then(() => file.sink.close())
			.then(() => this.#options.onClosed(info))
			.catch((error: unknown) => this.#options.onError(error));
	}

	/** Names each audio or video track of `file` that sent no media, and whether the file still lists it. */
	#warnEmptyTracks(file: SegmentFile): void {
		const { format, onWarning } = this.#options;
		for (const track of this.#fileTracks.get(file) ?? []) {
			if (track.kind === 'data' || file.firstDts.has(track.id)) continue;
			const outcome = LEAVES_OUT_EMPTY_TRACKS.includes(format)
				? 'left out of the file'
				: `listed in the file with no media (${format} declares its streams before the media)`;
			onWarning?.({
				code: 'dropped_data',
				message: `file ${file.sequence}: track ${track.id} (${track.kind} ${track.codec}) sent no media: ${outcome}`,
			});
		}
	}
}
