import type { MediaReceiver } from '../../src/core/media-receiver.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';

/** A MediaReceiver that records every announcement and a copy of every packet (receivers may not keep views). */
export class PacketCollector implements MediaReceiver {
	readonly announcements: Track[][] = [];
	readonly packets: Packet[] = [];

	announce(tracks: readonly Track[]): void {
		this.announcements.push([...tracks]);
	}

	push(packet: Packet): void {
		this.packets.push({ ...packet, data: packet.data.slice() });
	}

	/** The last announced track set. */
	get tracks(): Track[] {
		return this.announcements.at(-1) ?? [];
	}

	/** Packets of one track, in arrival order. */
	of(trackId: number): Packet[] {
		return this.packets.filter((p) => p.trackId === trackId);
	}
}
