/**
 * End to end: ffmpeg → our RTMP listener → the bus → recordings in MP4, TS and FLV, checked with
 * ffprobe and a full decode; and the Callaba input types that build RTMP sources.
 */

import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createInput } from '../../ingest/create-input.ts';
import { RtmpListener } from '../../ingest/rtmp/rtmp-listener.ts';
import { RtmpPuller } from '../../ingest/rtmp/rtmp-puller.ts';
import { MUXER_FORMATS } from '../../mux/create-muxer.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import type { InputSpec } from '../../src/core/input-spec.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { StreamKey } from '../../src/core/stream-hub.ts';
import { PathTemplate } from '../../src/recorder/path-template.ts';
import { type RecordedFile, type RecordFormat, Recording } from '../../src/recorder/recording.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import { Collector, ffmpegPush, tempDir, waitFor } from './rtmp-kit.ts';

const recordingOf = (registry: StreamRegistry, key: StreamKey, format: RecordFormat, root: string) => {
	const files: RecordedFile[] = [];
	const recording = new Recording(
		{
			id: `rtmp-${format}`,
			transactionId: 'TX',
			key,
			streamName: key.stream,
			format,
			filePath: new PathTemplate(`\${Id}/\${Stream}_\${Sequence}.${format}`, root),
			segmentationRule: 'discontinuity',
			createdAt: new Date(),
			firstSequence: 0,
		},
		{
			registry,
			observer: { fileOpened: () => {}, fileClosed: (file) => files.push(file), stateChanged: () => {} },
		},
	);
	return { recording, files };
};

test('ffmpeg → RTMP listener → MP4, TS and FLV recordings that probe and decode cleanly', async () => {
	const registry = new StreamRegistry();
	const key: StreamKey = { vhost: 'default', app: 'live', stream: 'e2e' };
	const root = tempDir('rtmp-recording');
	// TS joins as soon as the muxer registry lists it.
	const formats = (['mp4', 'flv', 'ts'] satisfies RecordFormat[]).filter((f) => MUXER_FORMATS.includes(f));
	assert.ok(formats.includes('mp4') && formats.includes('flv'));
	const recordings = formats.map((format) => recordingOf(registry, key, format, root));
	for (const { recording } of recordings) recording.start();
	const collector = new Collector();
	registry.subscribe(key, collector);
	const listener = new RtmpListener({ port: 0, hub: registry });
	await listener.start();
	try {
		const source = fixture('h264-aac48');
		const ffmpeg = ffmpegPush(source, ['-f', 'flv', `rtmp://127.0.0.1:${listener.port}/live/e2e`], false);
		assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
		await waitFor(() => collector.ends.length === 1, 5000, 'the end of the stream');
		for (const { recording } of recordings) await recording.stop();

		const [input] = await Promise.all([probeStreams(source)]);
		for (const [i, { files }] of recordings.entries()) {
			assert.is(files.length, 1, `${formats[i]}: one file`);
			const path = files[0]!.path;
			assert.is(files[0]!.state, 'complete', `${formats[i]}: ${files[0]!.error ?? ''}`);
			assert.is(await ffprobeErrors(path), '', `ffprobe: ${path}`);
			assert.is(await decodeErrors(path), '', `decode: ${path}`);
			const streams = await probeStreams(path);
			for (const kind of ['video', 'audio']) {
				const sent = input!.find((s) => s.codecType === kind)!;
				const recorded = streams.find((s) => s.codecType === kind);
				assert.is(recorded?.packets, sent.packets, `${formats[i]} ${kind} packets`);
			}
		}
	} finally {
		await listener.stop();
		for (const { recording } of recordings) await recording.stop();
	}
});

test('Callaba input types: RTMP_URL pulls, RTMP_LISTEN listens on its own port', () => {
	const registry = new StreamRegistry();
	const key: StreamKey = { vhost: 'default', app: 'recording', stream: 'x' };
	const context = { hub: registry, key, listenHost: '127.0.0.1', logger: silentLogger };
	const target = registry.publisher(key, 'rtmp');
	const url: InputSpec = { protocol: 'rtmp', direction: 'pull', url: 'rtmp://127.0.0.1:22499/live/cam' };
	assert.instance(createInput(url, target, context), RtmpPuller);
	const listen: InputSpec = { protocol: 'rtmp', direction: 'listen', address: { port: 22402 } };
	const source = createInput(listen, target, context);
	assert.instance(source, RtmpListener);
	assert.match(source.description, /127\.0\.0\.1:22402/);
	assert.throws(
		() => createInput({ protocol: 'rtmp', direction: 'pull' }, target, context),
		/RTMP pull input needs a URL/,
	);
});

test('an RTMP listen input: a publisher on the recording port feeds the recording stream', async () => {
	const registry = new StreamRegistry();
	const key: StreamKey = { vhost: 'default', app: 'recording', stream: 'own-port' };
	const collector = new Collector();
	registry.subscribe(key, collector);
	const port = await freePort();
	const source = createInput(
		{ protocol: 'rtmp', direction: 'listen', address: { port } },
		registry.publisher(key, 'rtmp'),
		{ hub: registry, key, listenHost: '127.0.0.1', logger: silentLogger },
	);
	await source.start();
	try {
		const ffmpeg = ffmpegPush(fixture('h264-aac48'), ['-f', 'flv', `rtmp://127.0.0.1:${port}/any/name`], false);
		assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
		await waitFor(() => collector.ends.length === 1, 5000, 'the end of the stream');
		assert.equal(
			collector.tracks.map((t) => t.codec),
			['h264', 'aac'],
		);
		assert.ok(collector.packets.length > 250);
	} finally {
		await source.stop();
	}
});

test.run();
