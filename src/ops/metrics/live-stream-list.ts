import type { LiveStream } from '../../bus/live-stream.ts';
import type { PublisherStats } from '../../core/stream-hub.ts';
import { type TrackSummary, trackSummary } from '../../core/track.ts';
import type { StreamBitrate } from './stream-bitrate.ts';

export type PublisherView = {
	/** `rtmp`, `srt`, `rtsp`, … */
	readonly protocol: string;
	/** Where the media comes from, when the protocol has an address (built-in listeners). */
	readonly remoteAddress?: string;
	/** When the current session started (ISO 8601). */
	readonly since: string | undefined;
	/** Media payload bytes and packets the stream carried. */
	readonly bytes: number;
	readonly packets: number;
	/** Over the last five seconds. */
	readonly bitrateBps: number;
	/** The connection's own figures, when its protocol keeps them (SRT: RTT, loss, retransmissions, …). */
	readonly connection?: PublisherStats;
};

export type LiveStreamView = {
	/** `vhost/app/stream`. */
	readonly name: string;
	readonly vhost: string;
	readonly app: string;
	readonly stream: string;
	readonly tracks: readonly TrackSummary[];
	readonly publisher: PublisherView;
	/** Consumers (recordings) attached. */
	readonly subscribers: number;
	readonly droppedPackets: number;
	/** The input's warnings by code. */
	readonly warnings: Readonly<Record<string, number>>;
};

/** What the live streams list shows of `stream` (a live one: its tracks may not be announced yet). */
export const liveStreamView = (stream: LiveStream, bitrate: StreamBitrate): LiveStreamView => {
	const { key, stats } = stream;
	const connection = stream.publisherStats();
	return {
		name: stream.name,
		vhost: key.vhost,
		app: key.app,
		stream: key.stream,
		tracks: (stream.tracks ?? []).map(trackSummary),
		publisher: {
			protocol: stats.protocol ?? 'unknown',
			...(stats.remoteAddress ? { remoteAddress: stats.remoteAddress } : {}),
			since: stats.startedAt?.toISOString(),
			bytes: stats.bytes,
			packets: stats.packets,
			bitrateBps: Math.round(bitrate.bitsPerSecond(stream)),
			...(connection ? { connection: connection.stats } : {}),
		},
		subscribers: stream.subscriberCount,
		droppedPackets: stats.droppedPackets,
		warnings: { ...stats.warnings },
	};
};
