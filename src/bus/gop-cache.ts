import type { ArenaPacket } from './packet-arena.ts';

export type GopCacheOptions = {
	/** Most packets kept; a longer GOP is not cached (late subscribers wait for the next keyframe instead). */
	readonly maxPackets?: number;
	readonly maxBytes?: number;
};

/**
 * The packets of every track since the last video keyframe, so that a subscriber joining mid-stream
 * starts on a keyframe instead of waiting up to a GOP. Audio-only streams cache nothing: every audio
 * frame is a random access point. A GOP past the bounds is dropped whole, never kept in part.
 * The cache retains each packet it keeps and releases it when the GOP is dropped.
 */
export class GopCache {
	readonly #maxPackets: number;
	readonly #maxBytes: number;
	#packets: ArenaPacket[] = [];
	#bytes = 0;
	/** Caching is on from a video keyframe until the bounds are passed. */
	#open = false;
	#videoTrackId: number | undefined;

	constructor(options: GopCacheOptions = {}) {
		this.#maxPackets = options.maxPackets ?? 4096;
		this.#maxBytes = options.maxBytes ?? 32 << 20;
	}

	/** The video track whose keyframes start a GOP; undefined for audio-only (nothing cached). */
	reset(videoTrackId: number | undefined): void {
		this.#videoTrackId = videoTrackId;
		this.#clear(false);
	}

	add(packet: ArenaPacket): void {
		if (this.#videoTrackId === undefined) return;
		if (packet.trackId === this.#videoTrackId && packet.keyframe) this.#clear(true);
		if (!this.#open) return;
		if (this.#packets.length >= this.#maxPackets || this.#bytes + packet.data.length > this.#maxBytes) {
			this.#clear(false);
			return;
		}
		packet.retain();
		this.#packets.push(packet);
		this.#bytes += packet.data.length;
	}

	/** The cached GOP, oldest first (the first one a video keyframe), or empty. */
	get packets(): readonly ArenaPacket[] {
		return this.#packets;
	}

	#clear(open: boolean): void {
		for (const packet of this.#packets) packet.release();
		this.#packets = [];
		this.#bytes = 0;
		this.#open = open;
	}
}
