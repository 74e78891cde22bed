import { type Logger, silentLogger } from '../core/logger.ts';
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
	 * Decides the publishes that come through the hub (the built-in listeners): the publish policy.
	 * Without one, every stream but the private ones is open, as on a loopback-only test bus.
	 */
	readonly authorize?: (request: PublishRequest) => Promise<boolean>;
	/**
	 * Apps whose streams only a recording's own input feeds (default `recording`: `recording/<jobId>`).
	 * A publish through the hub to one of them is refused whatever the credentials.
	 */
	readonly privateApps?: readonly string[];
	/** Hears `publish.refused` (private streams), `session.started` and `session.ended`. */
	readonly logger?: Logger;
	readonly gop?: GopCacheOptions;
};

const PRIVATE_APPS: readonly string[] = ['recording'];

/**
 * The bus: every live stream by key. Ingest protocols publish through it (it is their `StreamHub`),
 * recordings subscribe through it, possibly before the stream exists.
 */
export class StreamRegistry implements StreamHub {
	readonly #streams = new Map<string, LiveStream>();
	readonly #options: StreamRegistryOptions;
	/** Streams a recording's own input publishes (`publisher()`): private whatever their app. */
	readonly #private = new Set<string>();

	readonly #logger: Logger;

	constructor(options: StreamRegistryOptions = {}) {
		this.#options = options;
		this.#logger = options.logger ?? silentLogger;
	}

	async authorize(request: PublishRequest): Promise<boolean> {
		if (this.isPrivate(request.key)) {
			const reason = "a recording's private stream, fed only by that recording's own input";
			const { protocol, remoteAddress } = request;
			const stream = formatStreamKey(request.key);
			this.#logger.info(
				{ event: 'publish.refused', stream, protocol, remoteAddress, reason },
				`publish refused: ${protocol} ${stream} from ${remoteAddress || '?'}: ${reason}`,
			);
			return false;
		}
		return this.#options.authorize ? this.#options.authorize(request) : true;
	}

	/** Whether `key` is fed only by a recording's own input (never by a publish through the hub). */
	isPrivate(key: StreamKey): boolean {
		return (this.#options.privateApps ?? PRIVATE_APPS).includes(key.app) || this.#private.has(formatStreamKey(key));
	}

	/**
	 * A publisher for `key`. Its session starts now (a conflict if the stream is already live) and ends
	 * with `end()`; a later `announce()` on the same publisher starts a new session of the same stream,
	 * which is how a listener or puller that outlives one connection (UDP, HTTP, URL pullers) reconnects.
	 */
	publish(key: StreamKey, protocol: string, remoteAddress?: string): StreamPublisher {
		const publisher = new Publication(() => this.#streamFor(key), protocol, this.#logger, remoteAddress);
		publisher.begin();
		return publisher;
	}

	/**
	 * A publisher for `key` whose first session starts at its first `announce()`: for a recording's own
	 * listener, which exists before anything is sent to it. The stream becomes private: `authorize`
	 * refuses every publish to it through the hub.
	 */
	publisher(key: StreamKey, protocol: string): StreamPublisher {
		this.#private.add(formatStreamKey(key));
		return new Publication(() => this.#streamFor(key), protocol, this.#logger);
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
	readonly #logger: Logger;
	readonly #remoteAddress: string | undefined;
	#stream: LiveStream | undefined;
	/** The connection's figures, handed to each session it starts. */
	#statsSource: PublisherStatsSource | undefined;
	/** The stream's totals when the current session began: the session's own are the difference. */
	#sessionStart = { at: 0, bytes: 0, packets: 0 };

	constructor(resolve: () => LiveStream, protocol: string, logger: Logger, remoteAddress?: string) {
		this.#resolve = resolve;
		this.#protocol = protocol;
		this.#logger = logger;
		this.#remoteAddress = remoteAddress;
	}

	begin(): void {
		const stream = this.#resolve();
		stream.begin(this, this.#protocol, this.#remoteAddress);
		this.#stream = stream;
		this.#started(stream);
	}

	/** Starts a new session when the last one ended; while another publisher holds the stream, media is dropped. */
	announce(tracks: readonly Track[]): void {
		if (!this.#stream?.isOwnedBy(this)) {
			const stream = this.#resolve();
			if (stream.live) return;
			stream.begin(this, this.#protocol, this.#remoteAddress);
			this.#stream = stream;
			this.#started(stream);
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
		const stream = this.#stream;
		if (stream?.isOwnedBy(this)) this.#ended(stream, reason);
		stream?.end(this, reason);
	}

	#started(stream: LiveStream): void {
		this.#sessionStart = { at: Date.now(), bytes: stream.stats.bytes, packets: stream.stats.packets };
		const { name, stats } = stream;
		this.#logger.info(
			{ event: 'session.started', stream: name, protocol: this.#protocol, session: stats.sessions },
			`session started: ${this.#protocol} ${name}`,
		);
	}

	#ended(stream: LiveStream, reason: string): void {
		const start = this.#sessionStart;
		const durationMs = Date.now() - start.at;
		const bytes = stream.stats.bytes - start.bytes;
		const packets = stream.stats.packets - start.packets;
		this.#logger.info(
			{ event: 'session.ended', stream: stream.name, protocol: this.#protocol, durationMs, bytes, packets, reason },
			`session ended: ${this.#protocol} ${stream.name} after ${(durationMs / 1000).toFixed(1)} s, ${bytes} bytes: ${reason}`,
		);
	}
}
