/**
 * Acceptance for the Huawei Cloud Live dialect: a real server, ffmpeg publishing over RTMP to
 * rtmp://host/live/cam. START is refused until the stream is pushed, records it while it is, STOP
 * leaves a playable MP4, a quick second START is refused, and the recording shows through the
 * OvenMediaEngine dialect of the same server.
 */
import { existsSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { decodeErrors, ffprobeErrors, formatDuration } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import {
	ACCESS_TOKEN,
	newDataDir,
	pushWithFfmpeg,
	type Server,
	sleep,
	startServer,
	waitFor,
} from './server-process.ts';

const API_PORT = await freePort();
const RTMP_PORT = await freePort();
let server: Server;

test.before(async () => {
	server = await startServer(API_PORT, newDataDir(), ['--rtmp-port', String(RTMP_PORT)]);
});

test.after(async () => {
	await server?.peer.stop();
});

const control = async (action: 'START' | 'STOP') => {
	const response = await fetch(`${server.url}/v1/my-project/record/control?action=${action}`, {
		method: 'POST',
		headers: { 'x-auth-token': ACCESS_TOKEN, 'content-type': 'application/json' },
		body: JSON.stringify({ publish_domain: 'publish.example.com', app: 'live', stream: 'cam' }),
	});
	assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}-\d{13}-.+$/);
	return { status: response.status, json: (await response.json()) as { error_code?: string; error_msg?: string } };
};

type OmeRecord = { id: string; state: string; outputFilePath: string };
const omeRecords = async (): Promise<OmeRecord[]> => {
	const response = await fetch(`${server.url}/v1/vhosts/default/apps/live:records`, {
		headers: { authorization: `Basic ${Buffer.from(ACCESS_TOKEN).toString('base64')}` },
	});
	return ((await response.json()) as { response: OmeRecord[] }).response;
};

test('START refused until pushed, records while pushed, STOP leaves a playable MP4, a quick START is refused', async () => {
	const early = await control('START');
	assert.is(early.status, 400);
	assert.is(early.json.error_code, 'LIVE.100011001');
	assert.match(early.json.error_msg ?? '', 'not being pushed');

	const ffmpeg = pushWithFfmpeg(fixture('h264-aac48-10s'), 'flv', `rtmp://127.0.0.1:${RTMP_PORT}/live/cam`);
	try {
		await waitFor('START accepted once the stream is pushed', async () => (await control('START')).status === 200);
		await waitFor('recording', async () => (await omeRecords())[0]?.state === 'recording');
		await sleep(3000);
		const stop = await control('STOP');
		assert.is(stop.status, 200, JSON.stringify(stop.json));
		const again = await control('START');
		assert.is(again.status, 400);
		assert.match(again.json.error_msg ?? '', 'at least 10 s after the STOP');
	} finally {
		await ffmpeg.stop();
	}
	const [record] = await omeRecords();
	assert.ok(record, 'the stopped Huawei recording is listed by the OME dialect');
	assert.is(record.state, 'stopped');
	const path = record.outputFilePath;
	assert.match(path, /\/Record\/publish\.example\.com\/live\/cam\/[\d-]+_0\.mp4$/);
	assert.ok(existsSync(path));
	assert.is(await ffprobeErrors(path), '', path);
	assert.is(await decodeErrors(path), '', path);
	const seconds = await formatDuration(path);
	assert.ok(seconds > 2 && seconds < 5, `recorded ${seconds} s`);
	const stopAgain = await control('STOP');
	assert.is(stopAgain.status, 404);
	assert.match(stopAgain.json.error_msg ?? '', 'The resource to access is not exists');
});

test.run();
