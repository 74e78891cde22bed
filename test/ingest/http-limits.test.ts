/**
 * An HTTP listen input under a slow uploader that holds its one upload slot (a byte at a time, never
 * a media packet) and a crowd of idle connections: the slow one is closed within the handshake time
 * with the reason logged, and ffmpeg then publishes.
 */
import { request } from 'node:http';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { HttpListenSource } from '../../ingest/http/http-listen-source.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { ffmpegCopy } from '../helpers/process.ts';
import { SessionCollector } from '../helpers/session-collector.ts';
import { test } from '../helpers/suite.ts';
import { waitFor } from '../helpers/wait.ts';
import { idleCrowd } from './limits-kit.ts';

const LIMITS = { handshakeTimeoutMs: 1500, idleTimeoutMs: 1000, maxPendingPerSource: 16, maxPending: 64 };

test('a slow uploader loses the slot within the handshake time; idle connections go; ffmpeg publishes', async () => {
	const target = new SessionCollector();
	const logs: string[] = [];
	const source = new HttpListenSource({ host: '127.0.0.1', port: 0 }, target, linesLogger(logs), LIMITS);
	await source.start();
	const port = source.port;
	const crowd = await idleCrowd('127.0.0.1', port, 200);
	// A chunked POST that sends one byte every 300 ms: never silent long enough for the idle timer.
	let slowClosed = false;
	const slow = request({
		host: '127.0.0.1',
		port,
		method: 'POST',
		path: '/',
		headers: { 'transfer-encoding': 'chunked' },
	});
	slow.on('error', () => {});
	slow.on('close', () => {
		slowClosed = true;
	});
	const trickle = setInterval(() => slow.write('G'), 300);
	const started = Date.now();
	try {
		assert.ok(await waitFor(() => slowClosed, 4000), 'the slow uploader still holds the slot');
		assert.ok(Date.now() - started < 3000, `closed after ${Date.now() - started} ms`);
		assert.ok(
			logs.some((line) => /not publishing within 1500 ms/.test(line)),
			logs.join('\n'),
		);
		const ffmpeg = ffmpegCopy(
			fixture('h264-aac48'),
			['-f', 'mpegts', '-method', 'POST', `http://127.0.0.1:${port}/live`],
			{
				inputOptions: ['-t', '2'],
			},
		);
		const code = await Promise.race([ffmpeg.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
		await ffmpeg.stop();
		assert.is(code, 0, ffmpeg.stderr);
		assert.ok(target.packets > 50, `${target.packets} packets`);
		assert.ok(await waitFor(() => crowd.closedByServer() === 200, 3000), `${crowd.closedByServer()} of 200 closed`);
		assert.ok(logs.some((line) => /no data within 1000 ms|are not publishing yet/.test(line)));
	} finally {
		clearInterval(trickle);
		slow.destroy();
		crowd.close();
		await source.stop();
	}
});

test.run();
