/**
 * The RTMP listener under a crowd of connections that never publish (some trickling a byte at a
 * time): a real publisher (ffmpeg) still gets in, and the crowd is closed with logged reasons.
 */

import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { RtmpListener } from '../../ingest/rtmp/rtmp-listener.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { test } from '../helpers/suite.ts';
import { idleCrowd, watchedHub } from './limits-kit.ts';
import { ffmpegPush, waitFor } from './rtmp-kit.ts';

const LIMITS = { handshakeTimeoutMs: 1500, idleTimeoutMs: 3000, maxPendingPerSource: 16, maxPending: 256 };

test('300 idle and trickling connections leave ffmpeg able to publish; they are closed with a reason', async () => {
	const { registry, collector, logs, logger } = watchedHub('real');
	// As many connections in all as the crowd: without the guard the crowd holds every slot.
	const listener = new RtmpListener({
		port: 0,
		hub: registry,
		maxConnections: 300,
		connectionLimits: LIMITS,
		logger,
	});
	await listener.start();
	// A byte every 200 ms: within any idle timeout, never a handshake.
	const crowd = await idleCrowd('127.0.0.1', listener.port, 300, { trickleMs: 200 });
	try {
		const ffmpeg = ffmpegPush(fixture('h264-aac48'), [
			'-t',
			'2',
			'-f',
			'flv',
			`rtmp://127.0.0.1:${listener.port}/live/real`,
		]);
		assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
		await waitFor(() => collector.ends.length > 0, 5000, 'the end of the published stream');
		assert.ok(collector.packets.length > 50, `${collector.packets.length} packets`);
		await waitFor(() => crowd.closedByServer() === 300, LIMITS.handshakeTimeoutMs + 3000, 'the crowd closed');
		assert.ok(
			logs.some((l) =>
				/\d+ connections from 127\.0\.0\.1 are not publishing yet \(at most 16\): the one that sent the least makes room/.test(
					l,
				),
			),
		);
		assert.ok(logs.some((l) => /closed a connection from 127\.0\.0\.1: not publishing within 1500 ms/.test(l)));
		assert.is(listener.connections.length, 0);
	} finally {
		crowd.close();
		await listener.stop();
	}
});

test('a publisher silent past the idle timeout is closed', async () => {
	const registry = new StreamRegistry();
	const listener = new RtmpListener({
		port: 0,
		hub: registry,
		connectionLimits: { ...LIMITS, handshakeTimeoutMs: 5000, idleTimeoutMs: 500 },
	});
	await listener.start();
	const crowd = await idleCrowd('127.0.0.1', listener.port, 3);
	try {
		const started = Date.now();
		await waitFor(() => crowd.closedByServer() === 3, 3000, 'idle connections closed');
		assert.ok(Date.now() - started < 2500);
	} finally {
		crowd.close();
		await listener.stop();
	}
});

test.run();
