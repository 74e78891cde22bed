/**
 * Media that arrives while a publish is being authorized is held, not dropped: a publisher whose
 * whole session (handshake, connect, publish, sequence headers, frames) comes in one TCP read, in
 * front of a slow auth hook, is recorded frame-complete; refused, none of it reaches the bus.
 * The bytes are ffmpeg's own, captured through a proxy; ports from the OS.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { RtmpListener } from '../../ingest/rtmp/rtmp-listener.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import type { StreamKey } from '../../src/core/stream-hub.ts';
import { type HashedFrame, hashedFrames } from '../helpers/media-check.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { test } from '../helpers/suite.ts';
import { Collector, capturingProxy, ffmpegPush, sleep, tempDir, waitFor } from './rtmp-kit.ts';

const key: StreamKey = { vhost: 'default', app: 'live', stream: 'held' };

type Capture = { bytes: Uint8Array; frames: HashedFrame[][] };

/** ffmpeg's client → server bytes of a 2 s publish, and the frames it sent (a local FLV copy of the same packets). */
const captureFfmpeg = async (): Promise<Capture> => {
	const listener = new RtmpListener({ port: 0, hub: new StreamRegistry() });
	await listener.start();
	const proxy = await capturingProxy(listener.port);
	const port = proxy.port;
	const copy = join(tempDir('rtmp-hold'), 'sent.flv');
	try {
		const ffmpeg = ffmpegPush(
			fixture('h264-aac48'),
			['-t', '2', '-f', 'flv', `rtmp://127.0.0.1:${port}/live/held`, '-t', '2', '-c', 'copy', '-f', 'flv', '-y', copy],
			false,
		);
		assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	} finally {
		await proxy.close();
		await listener.stop();
	}
	return { bytes: new Uint8Array(Buffer.concat(proxy.captured)), frames: (await hashedFrames(copy)).frames };
};

/** Writes the whole session in one write and keeps the socket open until the server is done with it. */
const sendAtOnce = async (port: number, bytes: Uint8Array): Promise<Socket> => {
	const socket = connect({ host: '127.0.0.1', port });
	socket.on('error', () => {});
	socket.resume();
	await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
	socket.write(bytes);
	return socket;
};

let capture: Capture;

/**
 * A listener whose auth hook answers `allowed` after `delayMs`, with a collector on the stream; the
 * whole captured session is sent in one write and `check` runs on what arrived.
 */
const replayBehindSlowHook = async (
	allowed: boolean,
	delayMs: number,
	check: (seen: { collector: Collector; listener: RtmpListener; log: string[] }) => Promise<void>,
	holdBytes?: number,
): Promise<void> => {
	const registry = new StreamRegistry({ authorize: () => sleep(delayMs).then(() => allowed) });
	const collector = new Collector();
	registry.subscribe(key, collector);
	const log: string[] = [];
	const listener = new RtmpListener({
		port: 0,
		hub: registry,
		logger: linesLogger(log),
		...(holdBytes ? { holdBytes } : {}),
	});
	await listener.start();
	const socket = await sendAtOnce(listener.port, capture.bytes);
	try {
		await check({ collector, listener, log });
	} finally {
		socket.destroy();
		await listener.stop();
	}
};

test('a slow auth hook that allows: everything sent in the same read as publish is recorded', async () => {
	capture = await captureFfmpeg();
	await replayBehindSlowHook(true, 400, async ({ collector }) => {
		await waitFor(() => collector.ends.length > 0, 5000, 'the end of the stream (ffmpeg unpublished)');
		const [video, audio] = collector.tracks;
		assert.is(video?.codec, 'h264', 'the video sequence header arrived during authorization and was kept');
		assert.is(audio?.codec, 'aac');
		assert.is(collector.of(video!.id).length, capture.frames[0]!.length, 'every video frame');
		assert.is(collector.of(audio!.id).length, capture.frames[1]!.length, 'every audio frame');
	});
});

test('a slow auth hook that refuses: nothing held reaches the bus, the held messages are counted', async () => {
	await replayBehindSlowHook(false, 300, async ({ collector, listener, log }) => {
		const session = await (async () => {
			await waitFor(() => listener.connections.length > 0, 2000, 'the connection');
			return listener.connections[0]!;
		})();
		await waitFor(() => log.some((line) => /Unauthorized/.test(line)), 3000, 'the refusal');
		assert.is(collector.packets.length, 0);
		assert.is(collector.tracks.length, 0);
		assert.ok(session.refusedMessages > capture.frames[0]!.length, `${session.refusedMessages} refused messages`);
	});
});

test('the hold is bounded: past its size, messages are dropped, counted and reported as a warning', async () => {
	await replayBehindSlowHook(
		true,
		200,
		async ({ collector, log }) => {
			await waitFor(() => collector.ends.length > 0, 5000, 'the end of the stream');
			assert.match(log.join('\n'), /media messages sent during authorization did not fit the 2000-byte hold/);
			const sent = capture.frames[0]!.length + capture.frames[1]!.length;
			assert.ok(collector.packets.length < sent, 'some were dropped');
		},
		2000,
	);
});

test.run();
