import type { Registry } from 'prom-client';
import type { LiveStream } from '../../bus/live-stream.ts';
import type { StreamRegistry } from '../../bus/stream-registry.ts';
import { mirroredMetric, type Series } from './mirrored-metric.ts';
import type { StreamBitrate } from './stream-bitrate.ts';

type StreamLabel = 'vhost' | 'app' | 'stream';
const STREAM_LABELS: readonly StreamLabel[] = ['vhost', 'app', 'stream'];

/**
 * The SRT connection figures exported, as the SRT ingest names them (`PublisherStats`). Counters reset
 * with each connection; the RTT is a smoothed estimate (SRT draft §4.10).
 */
const SRT_FIGURES = [
	{
		figure: 'rttMs',
		type: 'gauge',
		name: 'tapedeck_srt_rtt_seconds',
		scale: 1 / 1000,
		help: 'Smoothed round-trip time of the SRT connection publishing the stream.',
	},
	{
		figure: 'packetsLost',
		type: 'counter',
		name: 'tapedeck_srt_packets_lost_total',
		scale: 1,
		help: 'SRT packets seen missing on arrival (each counted once), this connection.',
	},
	{
		figure: 'packetsRetransmitted',
		type: 'counter',
		name: 'tapedeck_srt_packets_retransmitted_total',
		scale: 1,
		help: 'SRT packets received with the retransmitted flag, this connection.',
	},
	{
		figure: 'packetsDropped',
		type: 'counter',
		name: 'tapedeck_srt_packets_dropped_total',
		scale: 1,
		help: 'SRT packets given up (too late for their delivery time, or dropped at the sender), this connection.',
	},
	{
		figure: 'bufferDelayMs',
		type: 'gauge',
		name: 'tapedeck_srt_buffer_delay_seconds',
		scale: 1 / 1000,
		help: 'Span of media waiting in the SRT latency buffer.',
	},
] as const;

/**
 * Per live stream on the bus, labelled `vhost`, `app`, `stream`: what arrived (bytes, packets, the
 * current bitrate), what was lost (subscribers that fell behind, the inputs' own warnings), who
 * consumes it, and the SRT connection's figures when an SRT publisher feeds it. Only live streams
 * are exported: one that ended leaves the output.
 */
export const registerStreamMetrics = (register: Registry, bus: StreamRegistry, bitrate: StreamBitrate): void => {
	const perStream = (value: (stream: LiveStream) => number) =>
		function* (): Iterable<Series<StreamLabel>> {
			for (const stream of liveStreams(bus)) yield [labelsOf(stream), value(stream)];
		};
	const counter = (name: string, help: string, value: (stream: LiveStream) => number) =>
		mirroredMetric(register, { type: 'counter', name, help, labelNames: STREAM_LABELS, read: perStream(value) });
	const gauge = (name: string, help: string, value: (stream: LiveStream) => number) =>
		mirroredMetric(register, { type: 'gauge', name, help, labelNames: STREAM_LABELS, read: perStream(value) });

	counter(
		'tapedeck_stream_received_bytes_total',
		'Media payload bytes the stream carried on the bus (rate() gives its input bitrate).',
		(s) => s.stats.bytes,
	);
	gauge('tapedeck_stream_bitrate_bits_per_second', 'Input bitrate of the stream over the last five seconds.', (s) =>
		bitrate.bitsPerSecond(s),
	);
	counter(
		'tapedeck_stream_received_packets_total',
		'Media packets (access units) the stream carried.',
		(s) => s.stats.packets,
	);
	counter(
		'tapedeck_stream_dropped_packets_total',
		'Packets lost by consumers (recordings) that fell behind the stream.',
		(s) => s.stats.droppedPackets,
	);
	gauge('tapedeck_stream_subscribers', 'Consumers (recordings) attached to the stream.', (s) => s.subscriberCount);
	gauge('tapedeck_stream_uptime_seconds', 'Time since the current publisher session started.', (s) =>
		s.stats.startedAt ? (Date.now() - s.stats.startedAt.getTime()) / 1000 : 0,
	);
	mirroredMetric(register, {
		type: 'counter',
		name: 'tapedeck_stream_input_warnings_total',
		help: "What the publisher's input carried that did not reach the bus as it was, by code (dropped_data, corrupt_data, timestamp_jump, …).",
		labelNames: [...STREAM_LABELS, 'code'],
		*read() {
			for (const stream of liveStreams(bus)) {
				for (const [code, count] of Object.entries(stream.stats.warnings)) yield [{ ...labelsOf(stream), code }, count];
			}
		},
	});
	for (const { figure, type, name, scale, help } of SRT_FIGURES) {
		mirroredMetric(register, {
			type,
			name,
			help,
			labelNames: STREAM_LABELS,
			*read() {
				for (const stream of liveStreams(bus)) {
					const publisher = stream.publisherStats();
					const value = publisher?.protocol === 'srt' ? publisher.stats[figure] : undefined;
					if (value !== undefined) yield [labelsOf(stream), value * scale];
				}
			},
		});
	}
};

/** A stream's labels, exactly these three (its key object could carry more). */
const labelsOf = ({ key }: LiveStream): Record<StreamLabel, string> => ({
	vhost: key.vhost,
	app: key.app,
	stream: key.stream,
});

/** The streams a publisher feeds now (the bus also keeps streams that only have waiting subscribers). */
export const liveStreams = (bus: StreamRegistry): LiveStream[] => bus.list().filter((stream) => stream.live);
