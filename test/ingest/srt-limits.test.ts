/**
 * The SRT listener under callers that complete the handshake as publishers and then send no media
 * (our own caller, in process, with a publish stream id: keep-alives only): they no longer fill the
 * listener's connections, and ffmpeg still publishes.
 */

import * as assert from 'uvu/assert';
import { SrtCaller } from '../../ingest/srt/srt-caller.ts';
import { SrtListener } from '../../ingest/srt/srt-listener.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import { watchedHub } from './limits-kit.ts';
import { ffmpegPublisher, media, RecordingPublisher, waitFor } from './srt-kit.ts';

const IDLE = 120;
/** The SRT listener reports no bound port: free ones from the OS. */
const PORT = await freePort('udp');
const CAPPED_PORT = await freePort('udp');

test(`${IDLE} idle SRT publishers leave room for ffmpeg; the idle ones are closed with a reason`, async () => {
	const { registry, collector, logs, logger } = watchedHub('real');
	// As many connections as idle callers: without the limits they would hold every one.
	const listener = new SrtListener({
		hub: registry,
		port: PORT,
		maxConnections: IDLE,
		connectionLimits: { handshakeTimeoutMs: 2000, idleTimeoutMs: 5000, maxPendingPerSource: 16, maxPending: 64 },
		logger,
	});
	await listener.start();
	const port = PORT;
	const callers = Array.from(
		{ length: IDLE },
		(_, i) =>
			new SrtCaller({
				url: `srt://127.0.0.1:${port}?streamid=%23!::r=idle/c${i},m=publish`,
				target: new RecordingPublisher(),
				retryMinMs: 60_000,
			}),
	);
	try {
		await Promise.all(callers.map((caller) => caller.start()));
		await waitFor(() => logs.some((line) => /are not publishing yet \(at most 16\)/.test(line)), 10_000);
		const ffmpeg = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&linger=2&streamid=live/real`);
		const code = await Promise.race([ffmpeg.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
		await ffmpeg.stop();
		assert.is(code, 0, ffmpeg.stderr);
		assert.ok(collector.packets.length > 50, `${collector.packets.length} packets`);
		assert.ok(await waitFor(() => logs.some((line) => /not publishing within 2000 ms/.test(line)), 5000));
		assert.ok(listener.refusedConnections > IDLE / 2, `${listener.refusedConnections} closed`);
	} finally {
		await Promise.all(callers.map((caller) => caller.stop()));
		await listener.stop();
	}
});

test('at the connection cap, an idle session makes room for a publisher instead of a 1003 backlog refusal', async () => {
	const { registry, collector, logs, logger } = watchedHub('capped');
	const listener = new SrtListener({
		hub: registry,
		port: CAPPED_PORT,
		maxConnections: 20,
		connectionLimits: { handshakeTimeoutMs: 30_000, idleTimeoutMs: 30_000, maxPendingPerSource: 100, maxPending: 100 },
		logger,
	});
	await listener.start();
	const callers = Array.from(
		{ length: 20 },
		(_, i) =>
			new SrtCaller({
				url: `srt://127.0.0.1:${CAPPED_PORT}?streamid=%23!::r=idle/c${i},m=publish`,
				target: new RecordingPublisher(),
				retryMinMs: 60_000,
			}),
	);
	try {
		await Promise.all(callers.map((caller) => caller.start()));
		assert.ok(await waitFor(() => listener.sessions().length === 20, 10_000), `${listener.sessions().length} sessions`);
		const ffmpeg = ffmpegPublisher(media, `srt://127.0.0.1:${CAPPED_PORT}?mode=caller&linger=2&streamid=live/capped`);
		const code = await Promise.race([ffmpeg.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
		await ffmpeg.stop();
		assert.is(code, 0, ffmpeg.stderr);
		assert.ok(collector.packets.length > 50, `${collector.packets.length} packets`);
		assert.ok(logs.some((line) => /more than 20 connections: the one that sent the least makes room/.test(line)));
	} finally {
		await Promise.all(callers.map((caller) => caller.stop()));
		await listener.stop();
	}
});

test.run();
