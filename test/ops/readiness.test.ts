/**
 * Readiness on its own: each check names what it found, a listener that stopped or a store that cannot save makes
 * the server not ready, and the built-in listeners report whether they accept publishers (RTMP, RTSP, SRT), as
 * `/readyz` reads them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { RtmpListener } from '../../ingest/rtmp/rtmp-listener.ts';
import { RtspListener } from '../../ingest/rtsp/rtsp-listener.ts';
import { SrtListener } from '../../ingest/srt/srt-listener.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { type Logger, silentLogger } from '../../src/core/logger.ts';
import { type ListenerState, Readiness } from '../../src/ops/metrics/readiness.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const folder = () => {
	const dir = tempDir('readiness');
	mkdirSync(join(dir, 'store'));
	return dir;
};

type Options = { synced?: () => Promise<void>; listeners?: () => ListenerState[]; logger?: Logger };

const readiness = (dir: string, options: Options = {}) =>
	new Readiness({
		store: { path: join(dir, 'store', 'recordings.jsonl'), synced: options.synced ?? (() => Promise.resolve()) },
		recordingsRoot: dir,
		minFreeBytes: 0,
		listeners: options.listeners ?? (() => [{ description: 'RTMP listener on 127.0.0.1:1935', up: true }]),
		timeoutMs: 500,
		...(options.logger ? { logger: options.logger } : {}),
	});

test('ready: every check says what it found', async () => {
	const report = await readiness(folder()).check();
	assert.ok(report.ready);
	assert.equal(
		report.checks.map((check) => [check.name, check.ready]),
		[
			['store', true],
			['listeners', true],
			['disk', true],
		],
	);
	assert.match(report.checks[1]!.message, '1 listening');
});

test('a listener down, a store whose last commit failed, a store that never answers: not ready, each named', async () => {
	const dir = folder();
	const down = await readiness(dir, {
		listeners: () => [
			{ description: 'RTMP listener on 127.0.0.1:1935', up: true },
			{ description: 'SRT listener on 127.0.0.1:9000', up: false },
		],
	}).check();
	assert.not.ok(down.ready);
	assert.equal(
		down.checks.filter((c) => !c.ready).map((c) => c.message),
		['not listening: SRT listener on 127.0.0.1:9000'],
	);
	const failed = await readiness(dir, { synced: () => Promise.reject(new Error('ENOSPC: no space left')) }).check();
	assert.match(failed.checks.find((c) => c.name === 'store')!.message, /cannot save: ENOSPC/);
	const stalled = await readiness(dir, { synced: () => new Promise(() => {}) }).check();
	assert.match(stalled.checks.find((c) => c.name === 'store')!.message, 'no answer within 500 ms');
	assert.not.ok(stalled.ready);
});

test('the log says when the answer changes, once per change, not at each probe', async () => {
	const lines: string[] = [];
	const logger: Logger = {
		...silentLogger,
		warn: (fields, message) => lines.push(`warn ${fields.event} ${message}`),
		info: (fields, message) => lines.push(`info ${fields.event} ${message}`),
	};
	let up = true;
	const probe = readiness(folder(), { logger, listeners: () => [{ description: 'SRT listener', up }] });
	await probe.check();
	up = false;
	await probe.check();
	await probe.check();
	up = true;
	await probe.check();
	await probe.check();
	assert.equal(lines, [
		'warn readiness.changed not ready: not listening: SRT listener',
		'info readiness.changed ready again',
	]);
});

test('the built-in listeners report listening from start to stop', async () => {
	const hub = new StreamRegistry();
	const listeners = [
		new RtmpListener({ hub, port: 0 }),
		new RtspListener({ hub, port: 0 }),
		new SrtListener({ hub, port: await freePort('udp') }),
	];
	for (const listener of listeners) {
		assert.is(listener.listening, false, `${listener.description} before start`);
		await listener.start();
		assert.is(listener.listening, true, `${listener.description} started`);
		await listener.stop();
		assert.is(listener.listening, false, `${listener.description} stopped`);
	}
});

test.run();
