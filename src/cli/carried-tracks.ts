/**
 * Between a remux's demuxer and its writer: keeps the tracks the user selected and the output
 * container can carry, and names every other one. A stream the container cannot hold (Opus in FLV,
 * SCTE-35 in MP4) no longer fails the whole remux: the rest is written, and the stream left out is
 * a warning and, when it is audio or video, a non-zero exit code.
 */
import { CODEC_CARRIERS } from '../../mux/codec-carriers.ts';
import type { ContainerFormat } from '../../mux/muxer.ts';
import type { MediaReceiver, MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import type { TrackFilter } from '../recorder/track-filter.ts';

/** A stream of the input that is not in the output. */
export type UnwrittenStream = {
	readonly trackId: number;
	readonly kind: Track['kind'];
	readonly codec: Track['codec'];
	/** Packets of it the input held (and the output does not). */
	packets: number;
};

export class CarriedTracks implements MediaReceiver {
	readonly #format: ContainerFormat;
	readonly #filter: TrackFilter | undefined;
	readonly #next: MediaReceiver;
	readonly #warn: (warning: MediaWarning) => void;
	/** Announced track ids that reach the writer. */
	readonly #carried = new Set<number>();
	readonly #unwritten = new Map<number, UnwrittenStream>();

	constructor(
		format: ContainerFormat,
		filter: TrackFilter | undefined,
		next: MediaReceiver,
		warn: (warning: MediaWarning) => void,
	) {
		this.#format = format;
		this.#filter = filter;
		this.#next = next;
		this.#warn = warn;
	}

	/** The selected streams the container could not carry, by track id. */
	get unwritten(): readonly UnwrittenStream[] {
		return [...this.#unwritten.values()];
	}

	announce(tracks: readonly Track[]): void {
		const selected = this.#filter ? this.#filter.select(tracks) : tracks;
		const carried: Track[] = [];
		this.#carried.clear();
		for (const track of selected) {
			const carriers = CODEC_CARRIERS[track.codec];
			if (carriers.includes(this.#format)) {
				carried.push(track);
				this.#carried.add(track.id);
			} else if (!this.#unwritten.has(track.id)) {
				this.#unwritten.set(track.id, { trackId: track.id, kind: track.kind, codec: track.codec, packets: 0 });
				this.#warn({
					code: 'unsupported_stream',
					message:
						`track ${track.id} (${track.kind} ${track.codec}) not written: ${this.#format} cannot carry ${track.codec}; ` +
						`containers that can: ${carriers.join(', ') || 'none of tapedeck’s'}`,
				});
			}
		}
		this.#next.announce(carried);
	}

	push(packet: Packet): void {
		if (this.#carried.has(packet.trackId)) {
			this.#next.push(packet);
			return;
		}
		const unwritten = this.#unwritten.get(packet.trackId);
		if (unwritten) unwritten.packets++;
	}

	warn(warning: MediaWarning): void {
		this.#warn(warning);
	}
}
