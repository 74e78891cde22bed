/**
 * A StreamHub for a per-recording listen port (`INPUT_TYPE_SRT_LISTEN`, `_RTMP_LISTEN`,
 * `_RTSP_LISTEN`): whatever app/stream a publisher names, it publishes into the recording's own
 * target, one publisher at a time (a second one is refused as a conflict while the first is
 * connected; each protocol answers that its own way, e.g. SRT rejection 2409). Who may publish is
 * the recording's own check (the credentials its input carries); without one, anyone.
 */
import { TapedeckError } from '../src/core/errors.ts';
import type { Packet } from '../src/core/packet.ts';
import type {
	PublisherStatsSource,
	PublishRequest,
	StreamHub,
	StreamKey,
	StreamPublisher,
} from '../src/core/stream-hub.ts';
import type { Track } from '../src/core/track.ts';

export class SinglePublisherHub implements StreamHub {
	readonly #target: StreamPublisher;
	readonly #authorize: ((request: PublishRequest) => Promise<boolean>) | undefined;
	#live = false;

	constructor(target: StreamPublisher, authorize?: (request: PublishRequest) => Promise<boolean>) {
		this.#target = target;
		this.#authorize = authorize;
	}

	authorize(request: PublishRequest): Promise<boolean> {
		return this.#authorize ? this.#authorize(request) : Promise.resolve(true);
	}

	publish(key: StreamKey, protocol: string): StreamPublisher {
		if (this.#live) {
			throw new TapedeckError(
				'conflict',
				`this listen port already has a publisher; ${protocol} publisher of ${key.app}/${key.stream} refused`,
			);
		}
		this.#live = true;
		const target = this.#target;
		return {
			announce: (tracks: readonly Track[]) => target.announce(tracks),
			push: (packet: Packet) => target.push(packet),
			warn: (warning) => target.warn?.(warning),
			reportStats: (source: PublisherStatsSource) => target.reportStats?.(source),
			end: (reason?: string) => {
				this.#live = false;
				target.end(reason);
			},
		};
	}
}
