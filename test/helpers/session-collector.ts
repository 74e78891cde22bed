import type { Packet } from '../../src/core/packet.ts';
import type { StreamPublisher } from '../../src/core/stream-hub.ts';
import type { Track } from '../../src/core/track.ts';

/**
 * A StreamPublisher for sources that open and close sessions on their own (UDP silence, HTTP
 * uploads): counts sessions (an announce after an end starts a new one), packets and end reasons.
 */
export class SessionCollector implements StreamPublisher {
	sessions = 0;
	packets = 0;
	tracks: readonly Track[] = [];
	ends: string[] = [];
	#live = false;

	announce(tracks: readonly Track[]): void {
		if (!this.#live) this.sessions++;
		this.#live = true;
		this.tracks = tracks;
	}

	push(_packet: Packet): void {
		this.packets++;
	}

	end(reason = ''): void {
		this.#live = false;
		this.ends.push(reason);
	}
}
