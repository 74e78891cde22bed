/**
 * Acceptance for the OvenMediaEngine dialect: a real server, ffmpeg publishing over RTMP to
 * rtmp://host/app/cam. Two reservations made through OME's API record the stream as it arrives: one
 * split every 2 s into MP4 files (listed in its info XML), one with OME's default name and container
 * (MPEG-TS). Every file plays.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { decodeErrors, ffprobeErrors, formatDuration } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import { ACCESS_TOKEN, newDataDir, pushWithFfmpeg, type Server, startServer, waitFor } from './server-process.ts';

const API_PORT = await freePort();
const RTMP_PORT = await freePort();
let server: Server;

test.before(async () => {
	server = await startServer(API_PORT, newDataDir(), ['--rtmp-port', String(RTMP_PORT)]);
});

test.after(async () => {
	await server?.peer.stop();
});

type OmeRecord = Record<string, unknown> & { state: string; outputFilePath: string; outputInfoPath: string };

const ome = async <T>(verb: string, body?: unknown): Promise<{ status: number; response: T }> => {
	const response = await fetch(`${server.url}/v1/vhosts/default/apps/app:${verb}`, {
		method: 'POST',
		headers: {
			authorization: `Basic ${Buffer.from(ACCESS_TOKEN).toString('base64')}`,
			'content-type': 'application/json',
		},
		body: body === undefined ? '' : JSON.stringify(body),
	});
	const json = (await response.json()) as { statusCode: number; response: T };
	assert.is(json.statusCode, response.status);
	return { status: response.status, response: json.response };
};

const state = async (id: string): Promise<string | undefined> =>
	(await ome<OmeRecord[]>('records', { id })).response[0]?.state;

const assertPlayable = async (path: string, seconds: number) => {
	assert.ok(existsSync(path), path);
	assert.is(await ffprobeErrors(path), '', `ffprobe: ${path}`);
	assert.is(await decodeErrors(path), '', `decode: ${path}`);
	const duration = await formatDuration(path);
	assert.ok(Math.abs(duration - seconds) < 0.6, `${path}: ${duration} s, expected about ${seconds}`);
};

test('RTMP push into two OME reservations: 2 s MP4 splits with an info XML, and OME default-named TS', async () => {
	const split = await ome<OmeRecord>('startRecord', {
		id: 'split',
		stream: { name: 'cam' },
		filePath: `ome/\${Stream}_\${StartTime:YYYY-MM-DD_hh-mm-ss}_\${Sequence}.mp4`,
		infoPath: `ome/\${Stream}.xml`,
		interval: 2000,
		segmentationRule: 'discontinuity',
	});
	assert.is(split.status, 200);
	assert.is(split.response.state, 'ready');
	assert.is((await ome<OmeRecord>('startRecord', { id: 'plain', stream: { name: 'cam' } })).status, 200);

	const ffmpeg = pushWithFfmpeg(fixture('h264-aac48-flv'), 'flv', `rtmp://127.0.0.1:${RTMP_PORT}/app/cam`);
	await waitFor(
		'recording',
		async () => (await state('split')) === 'recording' && (await state('plain')) === 'recording',
	);
	assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	// OME's task reads `stopped` once its publisher left and the last file is finalized (a task still
	// finalizing reads `ready`). Finalizing turns the fragmented MP4s progressive: on a loaded host that
	// takes seconds.
	let last: string | undefined;
	await waitFor(
		'the stream end finalized the files',
		async () => {
			last = await state('split');
			return last === 'stopped';
		},
		60_000,
	).catch((error: Error) => {
		throw new Error(`${error.message} (state of "split": ${last}; server log: ${server.peer.stderr.slice(-2000)})`);
	});

	const stopped = await ome<OmeRecord>('stopRecord', { id: 'split' });
	assert.is(stopped.status, 200);
	assert.is(stopped.response.state, 'stopping');
	const info = readFileSync(stopped.response.outputInfoPath, 'utf8');
	const files = [...info.matchAll(/<filePath><!\[CDATA\[(.*?)\]\]><\/filePath>/g)].map((m) => m[1] ?? '');
	assert.is(files.length, 2, info);
	assert.is(files[1], stopped.response.outputFilePath);
	for (const [sequence, file] of files.entries()) {
		assert.match(basename(file), new RegExp(`^cam_\\d{4}-\\d\\d-\\d\\d_\\d\\d-\\d\\d-\\d\\d_${sequence}\\.mp4$`));
		await assertPlayable(file, 2);
	}

	const plain = await ome<OmeRecord>('stopRecord', { id: 'plain' });
	assert.match(basename(plain.response.outputFilePath), /^[A-Za-z0-9]{16}_default_app_cam_\d{14}_\d{14}\.ts$/);
	await assertPlayable(plain.response.outputFilePath, 4);
	assert.equal((await ome<OmeRecord[]>('records')).response, [], 'stopped tasks are forgotten');
});

test.run();
