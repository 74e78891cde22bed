import type { MediaReceiver } from './media-receiver.ts';

/** A stream's address on the bus: `vhost/app/stream`. */
export type StreamKey = { readonly vhost: string; readonly app: string; readonly stream: string };

export const DEFAULT_VHOST = 'default';

export const formatStreamKey = (key: StreamKey): string => `${key.vhost}/${key.app}/${key.stream}`;

/** Live figures of the connection behind a publisher, by name (SRT: `rttMs`, `packetsLost`, …). */
export type PublisherStats = Readonly<Record<string, number>>;

/** Where a publisher's figures come from: the protocol that keeps them and how to read them now. */
export type PublisherStatsSource = { readonly protocol: string; readonly read: () => PublisherStats };

/** The publishing side of one live stream, handed to an ingest session once it is accepted. */
export interface StreamPublisher extends MediaReceiver {
	/** The publisher is gone (disconnect, end of input, error): the stream ends for every subscriber. */
	end(reason?: string): void;
	/**
	 * Optional: a connection that keeps figures (SRT) hands the bus a way to read them, so whoever
	 * records the stream can report them (getStat). Called once per connection; read on demand, it
	 * holds until the session ends.
	 */
	reportStats?(source: PublisherStatsSource): void;
}

/** Facts an ingest passes to the auth hook before it accepts a publisher. */
export type PublishRequest = {
	readonly key: StreamKey;
	/** `rtmp`, `srt`, `rtsp`, `udp`, `http`, … */
	readonly protocol: string;
	readonly remoteAddress: string;
	/** Stream key, token or query the publisher presented. */
	readonly credentials: Readonly<Record<string, string>>;
};

/**
 * What ingest protocols see of the bus (implemented by `src/bus/stream-registry.ts`).
 * `publish` throws a TapedeckError('conflict') when the stream already has a publisher.
 */
export interface StreamHub {
	authorize(request: PublishRequest): Promise<boolean>;
	/** `remoteAddress`: the publisher's address, where the protocol has one (shown in the live streams list). */
	publish(key: StreamKey, protocol: string, remoteAddress?: string): StreamPublisher;
}

/**
 * Every ingest (a listener, a puller) is started and stopped the same way; `stop` is idempotent
 * and resolves once sockets are closed and the stream has ended.
 */
export interface IngestSource {
	readonly description: string;
	/** Listeners: whether they accept publishers now (false before `start`, after `stop`, while a lost socket or thread is replaced). */
	readonly listening?: boolean;
	start(): Promise<void>;
	stop(): Promise<void>;
}
