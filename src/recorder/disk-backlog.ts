/**
 * What a recording does when its disk falls behind: a live stream cannot be held back, and a queue
 * without bound would take all memory. Once the open file's sink says its write queue is past its
 * bound (`Sink.backlogged`), packets are dropped and counted, as the bus drops for a slow subscriber,
 * until the queue is back under it and a video keyframe comes (any packet, without video), so the
 * file goes on decodable. Each episode is reported once, with its counts, when it ends.
 */
import type { MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';

export class DiskBacklog {
	readonly #report: (packets: number, warning: MediaWarning) => void;
	#videoTracks = new Set<number>();
	#dropped = 0;
	#droppedBytes = 0;

	/** `report` hears each episode's count and its `dropped_data` warning when it ends. */
	constructor(report: (packets: number, warning: MediaWarning) => void) {
		this.#report = report;
	}

	/** The tracks of the stream: writing resumes on a keyframe of a video track. */
	announce(tracks: readonly Track[]): void {
		this.#videoTracks = new Set(tracks.filter((track) => track.kind === 'video').map((track) => track.id));
	}

	/** True when `packet` is dropped: the disk is behind (`backlogged`), or was and no keyframe has come since. */
	drops(packet: Packet, backlogged: boolean): boolean {
		if (!backlogged) {
			if (this.#dropped === 0) return false;
			const video = this.#videoTracks.size === 0 || this.#videoTracks.has(packet.trackId);
			if (packet.keyframe && video) {
				this.settle();
				return false;
			}
		}
		this.#dropped++;
		this.#droppedBytes += packet.data.length;
		return true;
	}

	/** Reports the episode under way, if any (the file ends: its drops must be told now). */
	settle(): void {
		if (this.#dropped === 0) return;
		const counts = `${this.#dropped} packets (${this.#droppedBytes} bytes)`;
		const message = `${counts} dropped: the disk took the data more slowly than it came`;
		this.#report(this.#dropped, { code: 'dropped_data', message });
		this.#dropped = 0;
		this.#droppedBytes = 0;
	}
}
