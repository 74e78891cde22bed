/**
 * The tracks a SegmentWriter writes: those the track filter chose and the container can carry
 * (mux/codec-carriers.ts, the one table of what each container holds), minus those that stayed
 * silent past the wait for them. Compared field by field, so a re-announce of the same parameters
 * changes nothing.
 */
import { CODEC_CARRIERS } from '../../mux/codec-carriers.ts';
import type { ContainerFormat } from '../../mux/muxer.ts';
import type { MediaWarning } from '../core/media-receiver.ts';
import { sameTrackParameters, type Track } from '../core/track.ts';
import type { TrackFilter } from './track-filter.ts';

export class TrackSet {
	readonly tracks: readonly Track[];
	readonly hasVideo: boolean;
	readonly #byId = new Map<number, Track>();

	constructor(tracks: readonly Track[]) {
		this.tracks = tracks;
		this.hasVideo = tracks.some((t) => t.kind === 'video');
		for (const track of tracks) this.#byId.set(track.id, track);
	}

	static readonly EMPTY = new TrackSet([]);

	/**
	 * The announced tracks the filter keeps and `format` carries; each one left out for want of a
	 * carrier is named in a warning. Throws when the filter names a track the stream lacks.
	 */
	static select(
		announced: readonly Track[],
		format: ContainerFormat,
		filter: TrackFilter | undefined,
		warn: (warning: MediaWarning) => void,
	): TrackSet {
		const chosen = filter ? filter.select(announced) : announced;
		const carried: Track[] = [];
		for (const track of chosen) {
			const carriers = CODEC_CARRIERS[track.codec];
			if (carriers.includes(format)) {
				carried.push(track);
				continue;
			}
			warn({
				code: 'unsupported_stream',
				message: `track ${track.id} (${track.kind} ${track.codec}) not written: ${format} cannot carry ${track.codec}; containers that can: ${carriers.join(', ') || 'none'}`,
			});
		}
		return new TrackSet(carried);
	}

	get(id: number): Track | undefined {
		return this.#byId.get(id);
	}

	/** This set without the tracks listed (tracks that sent nothing in time). */
	without(ids: ReadonlySet<number>): TrackSet {
		return ids.size === 0 ? this : new TrackSet(this.tracks.filter((t) => !ids.has(t.id)));
	}

	equals(other: TrackSet): boolean {
		return this.tracks.length === other.tracks.length && this.tracks.every((t, i) => sameTrack(t, other.tracks[i]));
	}

	/** The tracks of this set that `before` lacks or holds with other parameters. */
	changedSince(before: TrackSet): Track[] {
		return this.tracks.filter((track) => !sameTrack(track, before.get(track.id)));
	}

	describe(): string {
		return this.tracks.map((t) => `${t.kind} ${t.codec}`).join(' + ');
	}
}

const sameTrack = (a: Track, b: Track | undefined): boolean =>
	b !== undefined && a.id === b.id && a.name === b.name && sameTrackParameters(a, b);
