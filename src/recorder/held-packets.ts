import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';

/**
 * The held packets at a cut to a changed track set, by where they go: `lead` (any track but video,
 * stamped before the cut packet) opens the new file, `after` follows the cut packet, `frames` are
 * video frames that came before the keyframe the cut is at.
 */
export type HeldAtCut = { readonly lead: Packet[]; readonly after: Packet[]; readonly frames: Packet[] };

/** Most packets kept; past it the older half is dropped (and reported), so a wait never grows memory. */
const MAX_HELD_PACKETS = 512;

/**
 * Packets kept back while a file cannot take them yet, as copies (the bus reuses its buffers):
 * audio that arrives before the video keyframe a file starts at (MPEG-TS demuxers complete a video
 * PES only when the next one starts, so the audio muxed next to a keyframe comes out first), and
 * packets of a changed track while the new file waits for its cut point.
 */
export class HeldPackets {
	#packets: Packet[] = [];
	readonly #onDrop: (dropped: number) => void;

	constructor(onDrop: (dropped: number) => void) {
		this.#onDrop = onDrop;
	}

	hold(packet: Packet): void {
		if (this.#packets.length >= MAX_HELD_PACKETS) {
			const dropped = this.#packets.splice(0, MAX_HELD_PACKETS / 2);
			this.#onDrop(dropped.length);
		}
		this.#packets.push({ ...packet, data: packet.data.slice() });
	}

	/** Media milliseconds from the first held packet of the latest packet's track to it. */
	spanMs(timescaleOf: (trackId: number) => number | undefined): number {
		const last = this.#packets.at(-1);
		if (!last) return 0;
		const first = this.#packets.find((p) => p.trackId === last.trackId) as Packet;
		const timescale = timescaleOf(last.trackId);
		return timescale ? Math.round(((last.dts - first.dts) * 1000) / timescale) : 0;
	}

	/** Every held packet sorted for a cut at `cut` (see HeldAtCut); the holder is empty afterwards. */
	takeAtCut(cut: Packet, trackOf: (id: number) => Track | undefined): HeldAtCut {
		const cutTime = cut.dts / (trackOf(cut.trackId)?.timescale ?? 1);
		const sorted: HeldAtCut = { lead: [], after: [], frames: [] };
		for (const packet of this.take()) {
			const track = trackOf(packet.trackId);
			if (track?.kind === 'video') sorted.frames.push(packet);
			else if (track && packet.dts / track.timescale < cutTime) sorted.lead.push(packet);
			else sorted.after.push(packet);
		}
		return sorted;
	}

	/** Every held packet, oldest first; the holder is empty afterwards. */
	take(): Packet[] {
		const packets = this.#packets;
		this.#packets = [];
		return packets;
	}
}
