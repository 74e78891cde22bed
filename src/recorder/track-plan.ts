/**
 * Which tracks a SegmentWriter's files are written with, and how a change is taken: at once when
 * nothing is open or the open file's muxer takes the new parameters (`updateTrack`), otherwise at
 * the next cut point, while the unchanged tracks go on in the open file and the changed ones wait.
 * A video track that sent nothing while a file waited for it is left out until it sends.
 */
import type { MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import type { Rebaser } from './rebaser.ts';
import type { SegmentFiles } from './segment-files.ts';
import { TrackSet } from './track-set.ts';

/**
 * What to do with a packet while a change waits: hold it, write it as usual, or cut to the new set
 * before it (`lagging`: the unchanged tracks, whose late packets may still go to the file before).
 */
export type Route = 'hold' | 'pass' | { readonly lagging: ReadonlySet<number> };

export class TrackPlan {
	/** What the last announce selected, and what the files are written with (it minus silent tracks). */
	#announced = TrackSet.EMPTY;
	#tracks = TrackSet.EMPTY;
	/** A track change that needs a new file, waiting for the next cut point; its changed track ids. */
	#pending: { readonly tracks: TrackSet; readonly changed: ReadonlySet<number> } | undefined;
	/** Tracks left out of the files for sending nothing in time; each rejoins when it sends. */
	readonly #silent = new Set<number>();
	/** Tracks that delivered a packet since the set was adopted or a file last waited for a keyframe. */
	readonly #heard = new Set<number>();
	readonly #rebaser: Rebaser;
	readonly #files: SegmentFiles;
	readonly #warn: (code: MediaWarning['code'], message: string) => void;

	constructor(rebaser: Rebaser, files: SegmentFiles, warn: (code: MediaWarning['code'], message: string) => void) {
		this.#rebaser = rebaser;
		this.#files = files;
		this.#warn = warn;
	}

	get tracks(): TrackSet {
		return this.#tracks;
	}

	/** A new announce; nothing happens when it selects the same tracks as the last one. */
	announce(next: TrackSet): void {
		if (next.equals(this.#announced)) return;
		this.#announced = next;
		this.#adopt(next.without(this.#silent));
	}

	/** Where a packet goes while a change waits; a cut has already made the new set current. */
	route(packet: Packet): Route {
		const pending = this.#pending;
		if (!pending) return 'pass';
		const track = pending.tracks.get(packet.trackId);
		if (track && isCutPoint(pending.tracks, track, packet)) {
			const lagging = new Set<number>();
			for (const t of this.#tracks.tracks) if (!pending.changed.has(t.id) && t.id !== track.id) lagging.add(t.id);
			this.#set(pending.tracks);
			return { lagging };
		}
		return pending.changed.has(packet.trackId) ? 'hold' : 'pass';
	}

	heard(trackId: number): void {
		this.#heard.add(trackId);
	}

	/** A file starts waiting for its keyframe afresh: silence is counted from now. */
	resetHeard(): void {
		this.#heard.clear();
	}

	/** A packet of a track not written: true when it is a silent track rejoining (route it again). */
	rejoin(trackId: number): boolean {
		if (!this.#silent.delete(trackId)) return false;
		this.#adopt(this.#announced.without(this.#silent));
		return true;
	}

	/** Leaves out the video tracks that have sent nothing; returns them. */
	leaveOutSilentVideo(): Track[] {
		const silent = this.#tracks.tracks.filter((t) => t.kind === 'video' && !this.#heard.has(t.id));
		if (silent.length === 0) return silent;
		for (const track of silent) this.#silent.add(track.id);
		this.#set(this.#tracks.without(this.#silent));
		return silent;
	}

	#adopt(next: TrackSet): void {
		const file = this.#files.file;
		const changed = next.changedSince(this.#tracks);
		if (!file || this.#tracks.tracks.length === 0) {
			this.#set(next);
			return;
		}
		// Only tracks that ended early: the file carries on with the others. Changed or late tracks
		// stay in the file when its muxer takes them (TS, FLV, progressive MP4), else wait for a cut.
		if (changed.length === 0) return;
		const describe = changed.map((t) => `track ${t.id} (${t.kind} ${t.codec})`).join(', ');
		if (file.update(changed)) {
			this.#files.finishPrevious();
			this.#set(next);
			this.#warn('parameter_change', `${describe}: new parameters, carried on in the same file`);
			return;
		}
		this.#pending = { tracks: next, changed: new Set(changed.map((t) => t.id)) };
		this.#warn('parameter_change', `${describe}: new or changed, a new file starts at the next cut point`);
	}

	#set(next: TrackSet): void {
		this.#tracks = next;
		this.#pending = undefined;
		this.#heard.clear();
		this.#rebaser.setTracks(next.tracks);
	}
}

/** A file may start (or split) here: a video keyframe, or any packet of a set without video. */
export const isCutPoint = (set: TrackSet, track: Track, packet: Packet): boolean =>
	set.hasVideo ? track.kind === 'video' && packet.keyframe : true;
