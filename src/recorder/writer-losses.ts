/**
 * What a SegmentWriter could not write as it came, counted and named: each loss is one warning that
 * says which track, how much and why, so nothing leaves a recording unsaid.
 */
import type { MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import type { TimestampJump } from './rebaser.ts';

type Warn = (code: MediaWarning['code'], message: string) => void;

const seconds = (packet: Packet, track: Track): string => (packet.dts / track.timescale).toFixed(3);

export class WriterLosses {
	/** Packets dropped while waiting for the first video keyframe of a file. */
	droppedBeforeKeyframe = 0;
	/** Packets a muxer refused; the file carries on without them. */
	rejected = 0;
	/** Packets of tracks not written: left out by the track filter, or of a codec the container cannot carry. */
	notCarried = 0;
	readonly #warn: Warn;

	constructor(warn: Warn) {
		this.#warn = warn;
	}

	timestampJump(jump: TimestampJump): void {
		this.#warn('timestamp_jump', `track ${jump.trackId}: timestamps jumped ${jump.seconds.toFixed(3)} s; re-origined`);
	}

	/** Packets the keyframe wait could hold no longer. */
	overflowWhileWaiting(dropped: number): void {
		this.droppedBeforeKeyframe += dropped;
		this.#warn('dropped_data', `${dropped} packets dropped while waiting for a video keyframe`);
	}

	/** A video frame before a file's first keyframe: nothing can decode it, counted (the wait is said once it ends). */
	videoBeforeKeyframe(): void {
		this.droppedBeforeKeyframe++;
	}

	/** Packets still held for a keyframe when the source ended or restarted. */
	keyframeNeverCame(left: number): void {
		this.droppedBeforeKeyframe += left;
		if (left > 0) this.#warn('dropped_data', `${left} packets held for a keyframe that never came: dropped`);
	}

	/** Frames of a changed video track before its first keyframe (they need references from before the change). */
	undecodableAfterChange(track: Track, frames: readonly Packet[]): void {
		this.droppedBeforeKeyframe += frames.length;
		this.#warn(
			'dropped_data',
			`track ${track.id} (${track.codec}): ${frames.length} frame(s) from ${seconds(frames[0]!, track)} s to ` +
				`${seconds(frames.at(-1)!, track)} s came with new parameter sets before a keyframe; no decoder can start on them: dropped`,
		);
	}

	refused(packet: Packet, track: Track, reason: string): void {
		this.rejected++;
		this.#warn(
			'dropped_data',
			`track ${track.id} (${track.codec}): packet at ${seconds(packet, track)} s refused by the muxer: ${reason}`,
		);
	}

	notCarriedPacket(): void {
		this.notCarried++;
	}

	/** A packet stamped before the keyframe its file starts at (audio a TS demuxer hands over after that picture). */
	beforeFileStart(track: Track): void {
		this.#warn(
			'dropped_data',
			`track ${track.id} (${track.codec}): a packet before the keyframe the file starts at: dropped`,
		);
	}

	trailerNotWritten(sequence: number, damage: string): void {
		this.#warn('dropped_data', `file ${sequence}: trailer not written (${damage})`);
	}

	silentTrackLeftOut(track: Track, waitedMs: number): void {
		this.#warn(
			'dropped_data',
			`track ${track.id} (${track.kind} ${track.codec}) sent nothing in ${waitedMs} ms of media: recording without it`,
		);
	}
}
