/**
 * The RTSP listener under connections that never RECORD (some sending request bytes slowly): they
 * are closed after the handshake time or to make room, and ffmpeg still publishes.
 */

import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { RtspListener } from '../../ingest/rtsp/rtsp-listener.ts';
import { ffmpegCopy } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { idleCrowd, watchedHub } from './limits-kit.ts';
import { waitFor } from './rtmp-kit.ts';
import { withGlobalHeaders } from './rtsp-harness.ts';

test('250 connections that never RECORD leave ffmpeg able to publish; each closing is logged', async () => {
	const source = await withGlobalHeaders(fixture('h264-aac48'));
	const { registry, collector, logs, logger } = watchedHub('cam');
	const listener = new RtspListener({
		hub: registry,
		port: 0,
		maxConnections: 250,
		connectionLimits: { handshakeTimeoutMs: 1500, idleTimeoutMs: 20_000, maxPendingPerSource: 8, maxPending: 64 },
		logger,
	});
	await listener.start();
	// An OPTIONS request dribbled out a byte every 100 ms, never finished.
	const crowd = await idleCrowd('127.0.0.1', listener.port, 250, {
		trickleMs: 100,
		trickle: 'OPTIONS rtsp://x RTSP/1.0',
	});
	try {
		const ffmpeg = ffmpegCopy(
			source,
			['-rtsp_transport', 'tcp', '-f', 'rtsp', `rtsp://127.0.0.1:${listener.port}/live/cam`],
			{
				inputOptions: ['-t', '2'],
			},
		);
		const code = await Promise.race([ffmpeg.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
		await ffmpeg.stop();
		assert.is(code, 0, ffmpeg.stderr);
		assert.ok(collector.packets.length > 50, `${collector.packets.length} packets`);
		await waitFor(() => crowd.closedByServer() === 250, 5000, 'the crowd closed');
		assert.ok(logs.some((line) => /\d+ connections from 127\.0\.0\.1 are not publishing yet \(at most 8\)/.test(line)));
		assert.ok(logs.some((line) => /not publishing within 1500 ms/.test(line)));
	} finally {
		crowd.close();
		await listener.stop();
	}
});

test.run();
