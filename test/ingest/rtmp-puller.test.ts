/**
 * The RTMP puller against nginx-rtmp and node-media-server, each fed by ffmpeg, on loopback
 * ports the OS picks. Every server is stopped by PID.
 */

import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { RtmpPlaySession } from '../../ingest/rtmp/rtmp-play-session.ts';
import { RtmpPuller } from '../../ingest/rtmp/rtmp-puller.ts';
import { parseRtmpUrl } from '../../ingest/rtmp/rtmp-url.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import type { StreamKey } from '../../src/core/stream-hub.ts';
import { hashedFrames, md5 } from '../helpers/media-check.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { freePort } from '../helpers/ports.ts';
import type { Peer } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import {
	Collector,
	ffmpegPush,
	sleep,
	startNginxRtmp,
	startNodeMediaServer,
	tempDir,
	waitFor,
	waitForPort,
} from './rtmp-kit.ts';

const KEY: StreamKey = { vhost: 'default', app: 'pulled', stream: 'cam' };
const SOURCE = 'h264-aac48-flv';

/** md5 of every packet of the source FLV, per stream (0 video, 1 audio), as ffmpeg reads them. */
const sourceHashes = async (): Promise<Set<string>[]> =>
	(await hashedFrames(fixture(SOURCE))).frames.map((frames) => new Set(frames.map((f) => f.md5)));

/** The pulled packets are the source's packets, byte for byte, in order and without gaps in time. */
const assertSameMedia = async (collector: Collector): Promise<void> => {
	const [videoHashes, audioHashes] = await sourceHashes();
	const [video, audio] = collector.tracks;
	assert.is(video?.codec, 'h264');
	assert.is(audio?.codec, 'aac');
	const videoPackets = collector.of(video!.id);
	const audioPackets = collector.of(audio!.id);
	assert.ok(
		videoPackets.length > 40 && audioPackets.length > 80,
		`${videoPackets.length} video, ${audioPackets.length} audio`,
	);
	for (const p of videoPackets) assert.ok(videoHashes!.has(md5(p.data)), 'a video packet ffmpeg did not send');
	for (const p of audioPackets) assert.ok(audioHashes!.has(md5(p.data)), 'an audio packet ffmpeg did not send');
	for (let i = 1; i < videoPackets.length; i++) {
		assert.is(videoPackets[i]!.dts - videoPackets[i - 1]!.dts, 3600, 'video DTS advance one 25 fps frame');
	}
	for (let i = 1; i < audioPackets.length; i++) {
		assert.is(audioPackets[i]!.dts - audioPackets[i - 1]!.dts, 1024, 'audio DTS advance one AAC frame');
	}
};

/** Pulls `url` for one publish of the source, then a second one after a reconnect. */
const pullTwoSessions = async (server: Peer, port: number, app: string): Promise<Collector> => {
	const url = `rtmp://127.0.0.1:${port}/${app}/cam`;
	const registry = new StreamRegistry();
	const collector = new Collector();
	registry.subscribe(KEY, collector);
	// node-media-server keeps players attached for 30 s after its publisher left (a "grace" for a
	// reconnect), silently: the idle timeout is how a puller notices.
	const puller = new RtmpPuller(url, registry.publish(KEY, 'rtmp'), {
		firstRetryMs: 100,
		maxRetryMs: 400,
		idleTimeoutMs: 1500,
	});
	let publisher: Peer | undefined;
	try {
		await waitForPort(port, 20_000);
		publisher = ffmpegPush(fixture(SOURCE), ['-f', 'flv', url]);
		await sleep(300);
		await puller.start();
		assert.is(await publisher.exited, 0, publisher.stderr);
		await waitFor(() => collector.ends.length === 1, 5000, 'the end of the first session');
		await assertSameMedia(collector);

		// The remote stream comes back: the puller reconnects and a second session starts.
		const first = collector.packets.length;
		publisher = ffmpegPush(fixture(SOURCE), ['-f', 'flv', url]);
		await waitFor(() => collector.packets.length > first + 50, 8000, 'media of the second session');
		assert.ok(puller.sessions >= 1 && puller.attempts >= 2);
		await publisher.stop();
		return collector;
	} finally {
		await publisher?.stop();
		await puller.stop();
		await server.stop();
	}
};

test('pulls from nginx-rtmp: the packets ffmpeg published, and again after the stream comes back', async () => {
	const port = await freePort();
	const collector = await pullTwoSessions(startNginxRtmp(tempDir('nginx'), port), port, 'live');
	assert.ok(collector.ends.length >= 1);
});

test('pulls from node-media-server: the packets ffmpeg published, and again after the stream comes back', async () => {
	const port = await freePort();
	const collector = await pullTwoSessions(startNodeMediaServer(tempDir('nms'), port, 40_000), port, 'live');
	assert.ok(collector.ends.length >= 1);
});

test('nginx-rtmp answers our signed C1 with the digest handshake', async () => {
	const port = await freePort();
	const nginx = startNginxRtmp(tempDir('nginx'), port);
	try {
		await waitForPort(port, 20_000);
		const announced: string[] = [];
		const session = new RtmpPlaySession(parseRtmpUrl(`rtmp://127.0.0.1:${port}/live/nothing`), {
			announce: (tracks) => announced.push(...tracks.map((t) => t.codec)),
			push: () => {},
		});
		await waitFor(() => session.digestHandshake, 5000, 'the digest handshake');
		session.close('done');
		assert.equal(await session.done, { delivered: false, reason: 'done' });
	} finally {
		await nginx.stop();
	}
});

test('an unreachable server: retries with exponential back-off, stop() ends it', async () => {
	const registry = new StreamRegistry();
	const log: string[] = [];
	const puller = new RtmpPuller(`rtmp://127.0.0.1:${await freePort()}/live/none`, registry.publish(KEY, 'rtmp'), {
		firstRetryMs: 100,
		maxRetryMs: 800,
		logger: linesLogger(log),
	});
	const started = performance.now();
	await puller.start();
	// Waits of 100, 200 and 400 ms come before the second, third and fourth attempts: 700 ms at least.
	await waitFor(() => puller.attempts >= 4, 10_000, 'four connection attempts');
	const elapsed = performance.now() - started;
	await puller.stop();
	assert.ok(elapsed >= 650, `four attempts within ${Math.round(elapsed)} ms: no back-off`);
	assert.match(log[0]!, /ECONNREFUSED/);
	assert.is(puller.sessions, 0);
});

test('bad URLs are refused up front', () => {
	for (const url of ['http://x/a/b', 'rtmp://host/app', 'rtmp://host:99999/a/b']) {
		assert.throws(() => new RtmpPuller(url, new StreamRegistry().publish(KEY, 'rtmp')), /RTMP URL/);
	}
	assert.equal(parseRtmpUrl('rtmp://example.com/live/cam?token=1'), {
		host: 'example.com',
		port: 1935,
		app: 'live',
		stream: 'cam?token=1',
		tcUrl: 'rtmp://example.com:1935/live',
	});
});

test.run();
