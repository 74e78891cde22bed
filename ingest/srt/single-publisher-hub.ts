/**
 * A StreamHub for a per-recording SRT port (`INPUT_TYPE_SRT_LISTEN`): whatever stream id a caller
 * presents, it publishes into the recording's own target, one caller at a time (a second one is
 * refused as a conflict, 2409 on the wire, while the first is connected).
 */
import { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import type { StreamHub, StreamKey, StreamPublisher } from '../source.ts';

export class SinglePublisherHub implements StreamHub {
	readonly #target: StreamPublisher;
	#live = false;

	constructor(target: StreamPublisher) {
		this.#target = target;
	}

	async authorize(): Promise<boolean> {
		return true;
	}

	publish(key: StreamKey, _protocol: string): StreamPublisher {
		if (this.#live)
			throw new TapedeckError('conflict', `this SRT port already has a publisher (${key.app}/${key.stream} refused)`);
		this.#live = true;
		const target = this.#target;
		return {
			announce: (tracks: readonly Track[]) => target.announce(tracks),
			push: (packet: Packet) => target.push(packet),
			end: (reason?: string) => {
				this.#live = false;
				target.end(reason);
			},
		};
	}
}
