/**
 * The pieces of /metrics on their own: the bitrate sampler's arithmetic on a fake clock, series that leave when
 * what they mirror does, and the strict Prometheus text reader the endpoint tests rely on refusing what a scraper
 * would refuse.
 */
import { Registry } from 'prom-client';
import * as assert from 'uvu/assert';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import type { Track } from '../../src/core/track.ts';
import { liveStreamView } from '../../src/ops/metrics/live-stream-list.ts';
import { mirroredMetric, type Series } from '../../src/ops/metrics/mirrored-metric.ts';
import { StreamBitrate } from '../../src/ops/metrics/stream-bitrate.ts';
import { registerStreamMetrics } from '../../src/ops/metrics/stream-metrics.ts';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.ts';
import { test } from '../helpers/suite.ts';

test('the bitrate is the bytes added over the last five to six seconds, 0 before a second has passed', () => {
	let now = 0;
	const bitrate = new StreamBitrate(() => now);
	const stream = { stats: { bytes: 0 } };
	bitrate.sample([stream]);
	now = 500;
	stream.stats.bytes = 50_000;
	assert.is(bitrate.bitsPerSecond(stream), 0, 'half a second is too short to tell');
	// 100 kB a second for ten seconds, sampled each second.
	for (let second = 1; second <= 10; second++) {
		now = second * 1000;
		stream.stats.bytes = second * 100_000;
		bitrate.sample([stream]);
	}
	assert.is(bitrate.bitsPerSecond(stream), 800_000);
	// Read between samples, the window runs from the oldest sample (5 s) to now.
	now = 10_500;
	assert.is(bitrate.bitsPerSecond(stream), (500_000 * 8 * 1000) / 5500);
	// The publisher stalls: the window empties within six seconds.
	for (let second = 11; second <= 16; second++) {
		now = second * 1000;
		bitrate.sample([stream]);
	}
	assert.is(bitrate.bitsPerSecond(stream), 0);
});

test('a stream no longer sampled is forgotten', () => {
	const bitrate = new StreamBitrate(() => 0);
	const a = { stats: { bytes: 0 } };
	const b = { stats: { bytes: 0 } };
	bitrate.sample([a, b]);
	assert.is(bitrate.size, 2);
	bitrate.sample([b]);
	assert.is(bitrate.size, 1);
	assert.is(bitrate.bitsPerSecond(a), 0);
});

test('a mirrored counter shows each series as read at the scrape; one no longer read leaves the output', async () => {
	const register = new Registry();
	let series: Series<'stream'>[] = [
		[{ stream: 'a' }, 10],
		[{ stream: 'b' }, 0],
	];
	mirroredMetric(register, {
		type: 'counter',
		name: 'test_bytes_total',
		help: 'Bytes.',
		labelNames: ['stream'],
		read: () => series,
	});
	mirroredMetric(register, {
		type: 'gauge',
		name: 'test_level',
		help: 'Level.',
		labelNames: [],
		read: () => [[{}, -2]],
	});
	let families = parsePrometheusText(await register.metrics());
	assert.is(sampleValue(families, 'test_bytes_total', { stream: 'a' }), 10);
	assert.is(sampleValue(families, 'test_bytes_total', { stream: 'b' }), 0);
	assert.is(sampleValue(families, 'test_level'), -2);
	series = [[{ stream: 'a' }, 25]];
	families = parsePrometheusText(await register.metrics());
	assert.is(sampleValue(families, 'test_bytes_total', { stream: 'a' }), 25);
	assert.is(sampleValue(families, 'test_bytes_total', { stream: 'b' }), undefined);
});

test("a stream's series and listing: bytes, packets, consumer drops, warnings by code, the publisher's address", async () => {
	const bus = new StreamRegistry();
	const register = new Registry();
	const bitrate = new StreamBitrate();
	registerStreamMetrics(register, bus, bitrate);
	const key = { vhost: 'default', app: 'live', stream: 'cam' };
	const video: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90_000, config: new Uint8Array(), name: 'v' };
	const errors: string[] = [];
	// A consumer that never keeps up: its ring of 4 overflows at the fifth packet.
	bus.subscribe(
		key,
		{ onTracks() {}, onPacket() {}, onEnd() {}, onError: (error) => errors.push(error.message) },
		{ capacity: 4 },
	);
	const publisher = bus.publish(key, 'rtmp', '192.0.2.7');
	publisher.announce([video]);
	for (let i = 0; i < 6; i++) {
		publisher.push({
			trackId: 1,
			dts: i * 3600,
			pts: i * 3600,
			duration: 0,
			keyframe: i === 0,
			data: new Uint8Array(100),
		});
	}
	publisher.warn?.({ code: 'dropped_data', message: 'lost 3 packets' });
	publisher.warn?.({ code: 'dropped_data', message: 'lost 1 packet' });
	publisher.warn?.({ code: 'timestamp_jump', message: 'jump' });
	const families = parsePrometheusText(await register.metrics());
	assert.is(sampleValue(families, 'tapedeck_stream_received_bytes_total', key), 600);
	assert.is(sampleValue(families, 'tapedeck_stream_received_packets_total', key), 6);
	assert.is(sampleValue(families, 'tapedeck_stream_dropped_packets_total', key), 5, errors.join());
	assert.is(sampleValue(families, 'tapedeck_stream_input_warnings_total', { ...key, code: 'dropped_data' }), 2);
	assert.is(sampleValue(families, 'tapedeck_stream_input_warnings_total', { ...key, code: 'timestamp_jump' }), 1);
	assert.is(sampleValue(families, 'tapedeck_stream_subscribers', key), 0);
	const view = liveStreamView(bus.get(key)!, bitrate);
	assert.equal(view.tracks, [{ id: 1, kind: 'video', codec: 'h264', name: 'v' }]);
	assert.equal(
		{ ...view.publisher, since: undefined },
		{
			protocol: 'rtmp',
			remoteAddress: '192.0.2.7',
			since: undefined,
			bytes: 600,
			packets: 6,
			bitrateBps: 0,
		},
	);
	assert.equal(view.warnings, { dropped_data: 2, timestamp_jump: 1 });
	publisher.end();
	const ended = parsePrometheusText(await register.metrics());
	assert.is(sampleValue(ended, 'tapedeck_stream_received_bytes_total', key), undefined);
	assert.is(sampleValue(ended, 'tapedeck_stream_input_warnings_total', { ...key, code: 'dropped_data' }), undefined);
});

test('the Prometheus text reader refuses what a scraper refuses', () => {
	const good =
		'# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 3\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 2\nh_count 1\n';
	assert.is(parsePrometheusText(good).size, 2);
	for (const [bad, why] of [
		['a 1\n', 'without TYPE'],
		['# TYPE a gauge\na 1', 'line feed'],
		['# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n', 'repeated'],
		['# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x="2"} 1\n', 'contiguous'],
		['# TYPE a gauge\na{x="\\t"} 1\n', 'escape'],
		['# TYPE a gauge\na{x=1} 1\n', '="'],
		['# TYPE a gauge\na 1,5\n', 'float'],
		['# TYPE a counter\na -1\n', 'below zero'],
		['# TYPE a gauge\n# TYPE a gauge\n', 'second TYPE'],
		['# TYPE a fancy\n', 'unknown type'],
		['# TYPE h histogram\nh_bucket 1\n', 'without le'],
		['# TYPE a gauge\na{__x="1"} 1\n', 'reserved'],
	] as const) {
		assert.throws(
			() => parsePrometheusText(bad),
			(error: Error) => error.message.includes(why),
			why,
		);
	}
	assert.ok(Number.isNaN(sampleValue(parsePrometheusText('# TYPE a gauge\na Nan\n'), 'a')));
});

test.run();
