/**
 * The first packets of a file, kept back until its origin is known: the earliest presentation time
 * of its tracks' first packets. That is the keyframe's PTS, or audio's when it starts before the
 * picture; MPEG-TS muxes audio up to several hundred ms after the video it plays with, so it may
 * arrive well after the keyframe. Kept as copies (the bus reuses its buffers), only while a file
 * opens. Bounded, so a track that sends nothing never holds a file back: past a second of media or
 * a burst of packets the origin settles with what is there.
 */
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import type { Instant } from './rebaser.ts';

const MAX_OPENING_PACKETS = 256;
const MAX_OPENING_MS = 1000;

/** A kept packet: the source packet as it came, and where it lands on the recording timeline. */
export type OpeningPacket = {
	readonly packet: Packet;
	readonly track: Track;
	readonly dts: number;
	readonly pts: number;
	readonly duration: number;
};

export class OpeningPackets {
	#kept: OpeningPacket[] = [];
	#earliest: Instant | undefined;
	/** Recording DTS of the first packet kept (the file's keyframe), in its track's ticks. */
	#start: Instant | undefined;
	readonly #heard = new Set<number>();

	get holding(): boolean {
		return this.#kept.length > 0;
	}

	/** The earliest presentation time of the tracks' first packets, on the recording timeline. */
	get earliest(): Instant | undefined {
		return this.#earliest;
	}

	keep(packet: Packet, track: Track, dts: number, pts: number, duration: number): void {
		this.#start ??= { ticks: dts, timescale: track.timescale };
		if (!this.#heard.has(track.id)) {
			this.#heard.add(track.id);
			const earliest = this.#earliest;
			if (!earliest || pts / track.timescale < earliest.ticks / earliest.timescale) {
				this.#earliest = { ticks: pts, timescale: track.timescale };
			}
		}
		this.#kept.push({ packet: { ...packet, data: packet.data.slice() }, track, dts, pts, duration });
	}

	/** True once every one of `tracks` delivered a packet, or the wait reached its bound. */
	complete(tracks: readonly Track[]): boolean {
		if (this.#kept.length >= MAX_OPENING_PACKETS) return true;
		const last = this.#kept.at(-1);
		const start = this.#start;
		if (last && start && last.dts / last.track.timescale - start.ticks / start.timescale >= MAX_OPENING_MS / 1000) {
			return true;
		}
		return tracks.every((t) => this.#heard.has(t.id));
	}

	/** Every kept packet, oldest first; the holder is empty afterwards. */
	take(): OpeningPacket[] {
		const kept = this.#kept;
		this.#kept = [];
		this.#earliest = undefined;
		this.#start = undefined;
		this.#heard.clear();
		return kept;
	}
}
