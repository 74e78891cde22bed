/**
 * Acceptance: a real server, real ffmpeg publishers. ffmpeg pushes MPEG-TS over UDP and POSTs TS/FLV
 * to the HTTP listener; create → wait → stop through the API yields files that play, listed with the
 * right sizes and durations; a reservation records each return of the stream in a new file.
 */
import { statSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import { newDataDir, pushWithFfmpeg, type RecordingView, type Server, startServer, waitFor } from './server-process.ts';

let server: Server;

test.before(async () => {
	server = await startServer(await freePort(), newDataDir());
});

test.after(async () => {
	await server?.peer.stop();
});

const getById = (id: string) => server.api<RecordingView>('getById', { id });

const assertFiles = async (view: RecordingView, count: number, seconds: number) => {
	assert.is(view.recordedFiles.length, count, JSON.stringify(view.recordedFiles));
	for (const file of view.recordedFiles) {
		assert.is(file.state, 'complete');
		assert.is(file.size, statSync(file.path).size, 'listed size is the file size');
		assert.ok(Math.abs(file.duration - seconds) < 0.5, `duration ${file.duration} s, expected about ${seconds}`);
		assert.is(await ffprobeErrors(file.path), '', `ffprobe: ${file.path}`);
		assert.is(await decodeErrors(file.path), '', `decode: ${file.path}`);
	}
};

const create = async (name: string, input: Record<string, unknown>, format: string): Promise<string> => {
	const created = await server.api<{ id: string; success: string }>('create', {
		recording_name: name,
		recording_type: 'RECORDING_STREAM_TO_FILE',
		input,
		output_format: format,
		active: true,
	});
	assert.is(created.success, 'true');
	return created.id;
};

test('UDP listen → MP4: create, ffmpeg pushes 3 s, stop, one playable file listed', async () => {
	const udpPort = await freePort('udp');
	const id = await create(
		'udp to mp4',
		{ input_type: 'INPUT_TYPE_UDP_LISTEN', input_stream_listen_port: { port: udpPort, transport: 'UDP' } },
		'mp4',
	);
	assert.is((await getById(id)).state, 'ready');
	const ffmpeg = pushWithFfmpeg(fixture('h264-aac48'), 'mpegts', `udp://127.0.0.1:${udpPort}?pkt_size=1316`, [
		'-t',
		'3',
	]);
	await waitFor('recording', async () => (await getById(id)).state === 'recording');
	const stats = await server.api<Array<{ id: string; bitrate: number }>>('getStat');
	assert.ok(stats.some((s) => s.id === id));
	assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	await server.api('stop', { id });
	const view = await getById(id);
	assert.is(view.active, false);
	assert.is(view.state, 'stopped');
	await assertFiles(view, 1, 3);
	assert.ok(view.recordedFiles[0]!.path.endsWith('_0.mp4'));
});

test('HTTP listen: ffmpeg POSTs MPEG-TS (chunked) and then FLV, each upload its own file', async () => {
	const httpPort = await freePort();
	const id = await create(
		'http push',
		{ input_type: 'INPUT_TYPE_HTTP_LISTEN', input_stream_listen_port: { port: httpPort, transport: 'TCP' } },
		'flv',
	);
	const ts = pushWithFfmpeg(fixture('h264-aac48'), 'mpegts', `http://127.0.0.1:${httpPort}/live`, ['-t', '2']);
	assert.is(await ts.exited, 0, ts.stderr);
	await waitFor('the first upload finalized', async () =>
		(await getById(id)).recordedFiles.some((f) => f.state === 'complete'),
	);
	const flv = pushWithFfmpeg(fixture('h264-aac48-flv'), 'flv', `http://127.0.0.1:${httpPort}/live`, ['-t', '2']);
	assert.is(await flv.exited, 0, flv.stderr);
	await waitFor(
		'the second upload finalized',
		async () => (await getById(id)).recordedFiles.filter((f) => f.state === 'complete').length === 2,
	);
	await server.api('stop', { id });
	const view = await getById(id);
	await assertFiles(view, 2, 2);
	assert.equal(
		view.recordedFiles.map((f) => f.sequence),
		[0, 1],
	);
});

test('reservation over udp://: ready before the stream, a pause ends sequence 0, the return writes sequence 1', async () => {
	const pullPort = await freePort('udp');
	const id = await create(
		'reserved',
		{ input_type: 'INPUT_TYPE_UDP_URL', input_stream_url: `udp://127.0.0.1:${pullPort}?timeout=800` },
		'flv',
	);
	const before = await getById(id);
	assert.is(before.state, 'ready');
	assert.match(before.state_reason, 'waiting for stream');
	const first = pushWithFfmpeg(fixture('h264-aac48'), 'mpegts', `udp://127.0.0.1:${pullPort}?pkt_size=1316`, [
		'-t',
		'2',
	]);
	await waitFor('recording', async () => (await getById(id)).state === 'recording');
	await first.exited;
	await waitFor('back to ready after the pause', async () => (await getById(id)).state === 'ready');
	const second = pushWithFfmpeg(fixture('h264-aac48'), 'mpegts', `udp://127.0.0.1:${pullPort}?pkt_size=1316`, [
		'-t',
		'2',
	]);
	await second.exited;
	await server.api('stop', { id });
	const view = await getById(id);
	assert.equal(
		view.recordedFiles.map((f) => f.sequence),
		[0, 1],
	);
	await assertFiles(view, 2, 2);
});

test.run();
