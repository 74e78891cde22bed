/**
 * Between a remux's demuxer and its writer, watching: which audio and video tracks the user kept
 * (no --tracks, or named in it) that the output container cannot carry. The writer leaves them out
 * and warns (see TrackSet); this decides the exit code, REMUX_INCOMPLETE, so a script notices a
 * file without its sound. Everything passes through unchanged.
 */
import { carries } from '../../mux/codec-carriers.ts';
import type { ContainerFormat } from '../../mux/muxer.ts';
import type { MediaReceiver, MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import type { TrackFilter } from '../recorder/track-filter.ts';

/** A stream of the input that is not in the output. */
export type LeftOutStream = { readonly trackId: number; readonly kind: Track['kind']; readonly codec: Track['codec'] };

export class LeftOutStreams implements MediaReceiver {
	readonly #format: ContainerFormat;
	readonly #filter: TrackFilter | undefined;
	readonly #next: MediaReceiver;
	readonly #leftOut = new Map<number, LeftOutStream>();

	constructor(format: ContainerFormat, filter: TrackFilter | undefined, next: MediaReceiver) {
		this.#format = format;
		this.#filter = filter;
		this.#next = next;
	}

	/** The kept tracks the container cannot carry, by track id (any kind: data too). */
	get streams(): readonly LeftOutStream[] {
		return [...this.#leftOut.values()];
	}

	announce(tracks: readonly Track[]): void {
		for (const track of this.#kept(tracks)) {
			if (!carries(this.#format, track)) {
				this.#leftOut.set(track.id, { trackId: track.id, kind: track.kind, codec: track.codec });
			}
		}
		this.#next.announce(tracks);
	}

	push(packet: Packet): void {
		this.#next.push(packet);
	}

	warn(warning: MediaWarning): void {
		this.#next.warn?.(warning);
	}

	/** The tracks the user kept; a filter naming a track the stream lacks is the writer's error to report. */
	#kept(tracks: readonly Track[]): readonly Track[] {
		if (!this.#filter) return tracks;
		try {
			return this.#filter.select(tracks);
		} catch {
			return [];
		}
	}
}
