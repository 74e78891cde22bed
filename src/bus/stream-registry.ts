import type { MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import {
	formatStreamKey,
	type PublisherStatsSource,
	type PublishRequest,
	type StreamHub,
	type StreamKey,
	type StreamPublisher,
} from '../core/stream-hub.ts';
import type { Track } from '../core/track.ts';
import type { GopCacheOptions } from './gop-cache.ts';
import { LiveStream } from './live-stream.ts';
import type { BusConsumer, Subscription, SubscriptionOptions } from './subscription.ts';

export type StreamRegistryOptions = {
	/**
	 * Publish credentials per stream (`vhost/app/stream` → key). A stream listed here accepts a publisher
	 * only when it presents the key (as `credentials.key`, `credentials.token` or `credentials.streamid`);
	 * streams not listed are open, as on a loopback-only server.
	 */
	readonly publishKeys?: Readonly<Record<string, string>>;
	readonly gop?: GopCacheOptions;
};

/**
 * The bus: every live stream by key. Ingest protocols publish through it (it is their `StreamHub`),
 * recordings subscribe through it, possibly before the stream exists.
 */
export class StreamRegistry implements StreamHub {
	readonly #streams = new Map<string, LiveStream>();
	readonly #options: StreamRegistryOptions;

	constructor(options: StreamRegistryOptions = {}) {
		this.#options = options;
	}

	async authorize(request: PublishRequest): Promise<boolean> {
		const expected = this.#options.publishKeys?.[formatStreamKey(request.key)];
		if (expected === undefined) return true;
		const { key, token, streamid } = request.credentials;
		return key === expected || token === expected || streamid === expected;
	}

	/**
	 * A publisher for `key`. Its session starts now (a conflict if the stream is already live) and ends
	 * with `end()`; a later `announce()` on the same publisher starts a new session of the same stream,
	 * which is how a listener or puller that outlives one connection (UDP, HTTP, URL pullers) reconnects.
	 */
	publish(key: StreamKey, protocol: string): StreamPublisher {
		const publisher = new Publication(() => this.#streamFor(key), protocol);
		publisher.begin();
		return publisher;
	}

	/**
	 * A publisher for `key` whose first session starts at its first `announce()`: for a recording's own
	 * listener, which exists before anything is sent to it.
	 */
	publisher(key: StreamKey, protocol: string): StreamPublisher {
		return new Publication(() => this.#streamFor(key), protocol);
	}

	/** Attaches a consumer to `key`, live or not yet (a reservation). */
	subscribe(key: StreamKey, consumer: BusConsumer, options?: SubscriptionOptions): Subscription {
		return this.#streamFor(key).subscribe(consumer, options);
	}

	get(key: StreamKey): LiveStream | undefined {
		return this.#streams.get(formatStreamKey(key));
	}

	/** Every stream that is live or has subscribers. */
	list(): LiveStream[] {
		return [...this.#streams.values()];
	}

	#streamFor(key: StreamKey): LiveStream {
		const name = formatStreamKey(key);
		let stream = this.#streams.get(name);
		if (!stream) {
			stream = new LiveStream(key, (idle) => this.#streams.delete(idle.name), this.#options.gop);
			this.#streams.set(name, stream);
		}
		return stream;
	}
}

/**
 * A publisher's handle on its stream; the stream checks ownership on every call, so a stale handle is
 * inert. The stream is looked up again for each new session: an ended stream without subscribers
 * leaves the registry.
 */
class Publication implements StreamPublisher {
	readonly #resolve: () => LiveStream;
	readonly #protocol: string;
	#stream: LiveStream | undefined;
	/** The connection's figures, handed to each session it starts. */
	#statsSource: PublisherStatsSource | undefined;

	constructor(resolve: () => LiveStream, protocol: string) {
		this.#resolve = resolve;
		this.#protocol = protocol;
	}

	begin(): void {
		const stream = this.#resolve();
		stream.begin(this, this.#protocol);
		this.#stream = stream;
	}

	/** Starts a new session when the last one ended; while another publisher holds the stream, media is dropped. */
	announce(tracks: readonly Track[]): void {
		if (!this.#stream?.isOwnedBy(this)) {
			const stream = this.#resolve();
			if (stream.live) return;
			stream.begin(this, this.#protocol);
			this.#stream = stream;
			if (this.#statsSource) stream.reportStats(this, this.#statsSource);
		}
		this.#stream.announce(this, tracks);
	}

	/** Kept until `end()`: a connection that reports before its first announce (a caller) is heard at its session's start. */
	reportStats(source: PublisherStatsSource): void {
		this.#statsSource = source;
		if (this.#stream?.isOwnedBy(this)) this.#stream.reportStats(this, source);
	}

	push(packet: Packet): void {
		this.#stream?.push(this, packet);
	}

	warn(warning: MediaWarning): void {
		this.#stream?.warn(this, warning);
	}

	end(reason = 'publisher ended'): void {
		this.#statsSource = undefined;
		this.#stream?.end(this, reason);
	}
}
