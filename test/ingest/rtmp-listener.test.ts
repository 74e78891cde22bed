/**
 * The RTMP listener against ffmpeg as the publisher, on a loopback port the OS picks.
 */

import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { RtmpListener, type RtmpListenerOptions } from '../../ingest/rtmp/rtmp-listener.ts';
import { PublishPolicy } from '../../src/auth/publish-policy.ts';
import { StreamRegistry, type StreamRegistryOptions } from '../../src/bus/stream-registry.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { PublishRequest, StreamKey } from '../../src/core/stream-hub.ts';
import { hashedFrames, md5 } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { Collector, ffmpegPush, tempDir, waitFor } from './rtmp-kit.ts';

const key = (stream: string): StreamKey => ({ vhost: 'default', app: 'app', stream });

/** A listener on a free port publishing into a fresh registry, with one collector subscribed to `stream`. */
const setUp = async (stream: string, options: Partial<RtmpListenerOptions> & StreamRegistryOptions = {}) => {
	const registry = new StreamRegistry(options);
	const collector = new Collector();
	registry.subscribe(key(stream), collector);
	const listener = new RtmpListener({ port: 0, hub: registry, ...options });
	await listener.start();
	return { registry, collector, listener };
};

test('ffmpeg publishes H.264 + AAC: every packet arrives as ffmpeg sent it', async () => {
	const { collector, listener } = await setUp('key');
	const copy = join(tempDir('rtmp-listener'), 'copy.flv');
	try {
		// One ffmpeg, two outputs: the RTMP push and a local FLV of exactly the same packets.
		const ffmpeg = ffmpegPush(fixture('h264-aac48'), [
			'-f',
			'flv',
			`rtmp://127.0.0.1:${listener.port}/app/key`,
			'-c',
			'copy',
			'-f',
			'flv',
			'-y',
			copy,
		]);
		assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
		await waitFor(() => collector.ends.length > 0, 5000, 'the end of the stream');
		assert.equal(collector.ends, ['publisher unpublished'], 'FCUnpublish/deleteStream end the stream');

		const sent = await hashedFrames(copy);
		assert.equal(sent.kinds, ['video', 'audio']);
		const [video, audio] = collector.tracks;
		assert.is(video?.codec, 'h264');
		assert.is(audio?.codec, 'aac');
		assert.is(md5(video!.config), sent.extradata[0], 'avcC');
		assert.is(md5(audio!.config), sent.extradata[1], 'AudioSpecificConfig');
		for (const [index, track] of [video!, audio!].entries()) {
			const received = collector.of(track.id);
			const expected = sent.frames[index]!;
			assert.is(received.length, expected.length, `${track.codec} packet count`);
			for (let i = 0; i < expected.length; i++) {
				const p = received[i]!;
				const f = expected[i]!;
				assert.is(p.data.length, f.size, `${track.codec} #${i} size`);
				assert.is(md5(p.data), f.md5, `${track.codec} #${i} bytes`);
				// Milliseconds on the wire; audio ticks may sit up to 1 ms off to keep frames contiguous.
				assert.ok(Math.abs((p.dts * 1000) / track.timescale - f.dts) <= 1, `${track.codec} #${i} dts`);
				assert.ok(Math.abs((p.pts * 1000) / track.timescale - f.pts) <= 1, `${track.codec} #${i} pts`);
			}
		}
	} finally {
		await listener.stop();
	}
});

test('a publisher that vanishes ends the stream: killed, or silent past the idle timeout', async () => {
	const { collector, listener } = await setUp('gone', { idleTimeoutMs: 500 });
	try {
		const killed = ffmpegPush(fixture('h264-aac48-10s'), ['-f', 'flv', `rtmp://127.0.0.1:${listener.port}/app/gone`]);
		await waitFor(() => collector.packets.length > 20, 8000, 'media');
		assert.ok(listener.connections[0]?.digestHandshake, 'ffmpeg signs C1: the digest handshake was answered');
		killed.child.kill('SIGKILL');
		await killed.exited;
		await waitFor(() => collector.ends.length === 1, 3000, 'the end after a kill');
		assert.is(collector.ends[0], 'publisher disconnected');

		// SIGSTOP keeps the socket open but silent: only the idle timeout can notice.
		const frozen = ffmpegPush(fixture('h264-aac48-10s'), ['-f', 'flv', `rtmp://127.0.0.1:${listener.port}/app/gone`]);
		const before = collector.packets.length;
		await waitFor(() => collector.packets.length > before + 20, 8000, 'media of the second session');
		frozen.child.kill('SIGSTOP');
		const stoppedAt = Date.now();
		await waitFor(() => collector.ends.length === 2, 3000, 'the end after silence');
		assert.match(collector.ends[1]!, /idle timeout/);
		assert.ok(Date.now() - stoppedAt < 2500);
		frozen.child.kill('SIGKILL');
		await frozen.exited;
		assert.is(listener.connections.length, 0);
	} finally {
		await listener.stop();
	}
});

test('a wrong stream key is refused before any media is accepted; the right one is let in', async () => {
	const policy = new PublishPolicy({ streams: { 'app/locked': { key: 'secret' } }, open: true, logger: silentLogger });
	const authorize = (request: PublishRequest) => policy.authorize(request);
	const { registry, collector, listener } = await setUp('locked', { authorize, logger: silentLogger });
	try {
		const wrong = ffmpegPush(
			fixture('h264-aac48'),
			['-f', 'flv', `rtmp://127.0.0.1:${listener.port}/app/locked?key=nope`],
			false,
		);
		const code = await wrong.exited;
		assert.is.not(code, 0, 'ffmpeg must fail');
		assert.match(wrong.stderr, /Server error: .*stream key/);
		assert.is(collector.packets.length, 0);
		assert.is(collector.tracks.length, 0);
		assert.not.ok(registry.get(key('locked'))?.live);

		const right = ffmpegPush(
			fixture('h264-aac48'),
			['-f', 'flv', `rtmp://127.0.0.1:${listener.port}/app/locked?key=secret`],
			false,
		);
		assert.is(await right.exited, 0, right.stderr);
		await waitFor(() => collector.ends.length > 0, 5000, 'the end of the accepted stream');
		assert.ok(collector.packets.length > 250);
	} finally {
		await listener.stop();
	}
});

test('a second publisher to a live stream name is refused; the first one carries on', async () => {
	const { collector, listener } = await setUp('busy', { logger: silentLogger });
	try {
		const first = ffmpegPush(fixture('h264-aac48-10s'), ['-f', 'flv', `rtmp://127.0.0.1:${listener.port}/app/busy`]);
		await waitFor(() => collector.packets.length > 10, 8000, 'media from the first publisher');
		const second = ffmpegPush(
			fixture('h264-aac48'),
			['-f', 'flv', `rtmp://127.0.0.1:${listener.port}/app/busy`],
			false,
		);
		assert.is.not(await second.exited, 0);
		assert.match(second.stderr, /Server error: .*already being published/);
		const count = collector.packets.length;
		await waitFor(() => collector.packets.length > count, 3000, 'more media from the first publisher');
		assert.is(collector.ends.length, 0);
		await first.stop();
	} finally {
		await listener.stop();
	}
});

test.run();
