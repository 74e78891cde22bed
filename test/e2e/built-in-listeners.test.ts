/**
 * Acceptance: Callaba inputs that name a built-in listener (`INPUT_TYPE_RTMP_SOFTWARE`,
 * `INPUT_TYPE_SRT_SOFTWARE`) record the stream that listener publishes; SRT connection figures show
 * in getStat, for the built-in listener and for a recording's own SRT port. A real server with its
 * RTMP and SRT listeners on free ports, real ffmpeg publishers.
 */

import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import {
	ACCESS_TOKEN,
	newDataDir,
	pushWithFfmpeg,
	type RecordingView,
	type Server,
	startServer,
	waitFor,
} from './server-process.ts';

const API_PORT = await freePort();
const RTMP_PORT = await freePort();
const SRT_PORT = await freePort('udp');
const OWN_SRT_PORT = await freePort('udp');

let server: Server;
let token: string;

test.before(async () => {
	server = await startServer(API_PORT, newDataDir(), [
		'--rtmp-port',
		String(RTMP_PORT),
		'--srt-port',
		String(SRT_PORT),
	]);
	token = await issueAccessJwt(ACCESS_TOKEN, 1);
});

test.after(async () => {
	await server?.peer.stop();
});

/** A Callaba call that may fail: the status and the body, whatever they are. */
const call = async (path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
	const response = await fetch(`${server.url}${path}`, {
		method: 'POST',
		headers: { 'x-access-token': token, 'content-type': 'application/json' },
		body: body === undefined ? '' : JSON.stringify(body),
	});
	return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};

const settings = (name: string, input: Record<string, unknown>, format = 'mp4') => ({
	recording_name: name,
	recording_type: 'RECORDING_STREAM_TO_FILE',
	input,
	output_format: format,
	active: true,
});

const create = async (name: string, input: Record<string, unknown>, format = 'mp4'): Promise<string> => {
	const created = await server.api<{ id: string; success: string }>('create', settings(name, input, format));
	assert.is(created.success, 'true');
	return created.id;
};

const getById = (id: string) => server.api<RecordingView>('getById', { id });

type InputStats = { protocol: string; [figure: string]: number | string };
type Stat = { id: string; state: string; input_stats: InputStats | null };
const statOf = async (id: string): Promise<Stat | undefined> =>
	(await server.api<Stat[]>('getStat')).find((s) => s.id === id);

/** Stops the job and checks its files: at least one, complete, clean for ffprobe and a full decode. */
const stopAndCheckFiles = async (id: string): Promise<void> => {
	await server.api('stop', { id });
	const view = await getById(id);
	assert.ok(view.recordedFiles.length >= 1, JSON.stringify(view.recordedFiles));
	for (const file of view.recordedFiles) {
		assert.is(file.state, 'complete');
		assert.ok(file.duration > 1, `duration ${file.duration} s`);
		assert.is(await ffprobeErrors(file.path), '', `ffprobe: ${file.path}`);
		assert.is(await decodeErrors(file.path), '', `decode: ${file.path}`);
	}
};

/** The SRT figures getStat must carry while a caller publishes. */
const assertSrtStats = (stats: InputStats | null | undefined, what: string) => {
	assert.ok(stats, `${what}: input_stats present`);
	assert.is(stats.protocol, 'srt');
	for (const figure of [
		'rtt_ms',
		'packets_received',
		'packets_lost',
		'packets_retransmitted',
		'packets_dropped',
		'bitrate_kbps',
		'buffer_delay_ms',
	]) {
		assert.type(stats[figure], 'number', `${what}: ${figure}`);
	}
	assert.ok((stats['packets_received'] as number) > 0, `${what}: packets received`);
};

test('getStat lists the built-in listeners as modules; a module id no listener has is a 404', async () => {
	const response = await fetch(`${server.url}/api/utils/getStat`, { headers: { 'x-access-token': token } });
	const stat = (await response.json()) as { modules: Array<{ id: string; protocol: string; url: string }> };
	assert.equal(
		stat.modules.map((m) => [m.id, m.url]),
		[
			['rtmp', `rtmp://127.0.0.1:${RTMP_PORT}`],
			['srt', `srt://127.0.0.1:${SRT_PORT}`],
		],
	);
	const unknown = await call(
		'/api/recording/create',
		settings('nowhere', { input_type: 'INPUT_TYPE_RTMP_SOFTWARE', input_module_id: 'rtmp2', input_stream_id: 'x' }),
	);
	assert.is(unknown.status, 404);
	assert.match(String(unknown.json['message']), /"rtmp2" is no built-in listener.*"rtmp", "srt"/);
	const mismatch = await call(
		'/api/recording/create',
		settings('crossed', { input_type: 'INPUT_TYPE_RTMP_SOFTWARE', input_module_id: 'srt', input_stream_id: 'x' }),
	);
	assert.is(mismatch.status, 400);
	assert.match(String(mismatch.json['message']), 'built-in SRT listener; this input needs a RTMP one');
	const noStream = await call(
		'/api/recording/create',
		settings('no stream', { input_type: 'INPUT_TYPE_RTMP_HARDWARE', input_module_id: 'rtmp' }),
	);
	assert.is(noStream.status, 400);
	assert.match(String(noStream.json['message']), 'the stream on the built-in RTMP listener is required');
});

test('INPUT_TYPE_RTMP_SOFTWARE: waits in ready for live/cam1, records what ffmpeg pushes to the built-in listener', async () => {
	const id = await create('rtmp built-in', {
		input_type: 'INPUT_TYPE_RTMP_SOFTWARE',
		input_module_id: 'rtmp',
		input_stream_id: 'live/cam1',
	});
	const waiting = await getById(id);
	assert.is(waiting.state, 'ready');
	assert.match(waiting.state_reason, `default/live/cam1 on built-in listener "rtmp"`);
	const ffmpeg = pushWithFfmpeg(fixture('h264-aac48'), 'flv', `rtmp://127.0.0.1:${RTMP_PORT}/live/cam1`, ['-t', '3']);
	await waitFor('recording', async () => (await getById(id)).state === 'recording');
	// RTMP keeps no connection figures: nothing to report, and that is said as null.
	assert.is((await statOf(id))?.input_stats, null);
	assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	await stopAndCheckFiles(id);
});

test('INPUT_TYPE_SRT_SOFTWARE (a bare stream name) and INPUT_TYPE_SRT_LISTEN: recorded, SRT figures in getStat', async () => {
	const builtIn = await create(
		'srt built-in',
		{ input_type: 'INPUT_TYPE_SRT_SOFTWARE', input_module_id: 'srt', input_stream_id: 'cam2' },
		'ts',
	);
	assert.match((await getById(builtIn)).state_reason, 'default/live/cam2');
	const own = await create(
		'srt own port',
		{ input_type: 'INPUT_TYPE_SRT_LISTEN', input_stream_listen_port: { port: OWN_SRT_PORT, transport: 'UDP' } },
		'mp4',
	);
	const pushes = [
		pushWithFfmpeg(
			fixture('h264-aac48'),
			'mpegts',
			`srt://127.0.0.1:${SRT_PORT}?linger=2&streamid=#!::r=live/cam2,m=publish`,
			['-t', '3'],
		),
		pushWithFfmpeg(fixture('h264-aac48'), 'mpegts', `srt://127.0.0.1:${OWN_SRT_PORT}?linger=2`, ['-t', '3']),
	];
	for (const id of [builtIn, own]) {
		await waitFor('recording', async () => (await getById(id)).state === 'recording');
		await waitFor('SRT figures', async () => Number((await statOf(id))?.input_stats?.['packets_received'] ?? 0) > 0);
	}
	assertSrtStats((await statOf(builtIn))?.input_stats, 'built-in listener');
	assertSrtStats((await statOf(own))?.input_stats, 'own listener');
	for (const ffmpeg of pushes) assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	await waitFor('the stream ended', async () => (await statOf(builtIn))?.input_stats === null);
	await stopAndCheckFiles(builtIn);
	await stopAndCheckFiles(own);
});

test('INPUT_TYPE_SRT_SOFTWARE with input_stream_id "" (the seed example): records a caller that sends no stream id', async () => {
	const id = await create('srt no stream id', {
		input_type: 'INPUT_TYPE_SRT_SOFTWARE',
		input_module_id: 'srt',
		input_stream_id: '',
	});
	assert.match((await getById(id)).state_reason, 'default/live/default');
	const ffmpeg = pushWithFfmpeg(fixture('h264-aac48'), 'mpegts', `srt://127.0.0.1:${SRT_PORT}?linger=2`, ['-t', '3']);
	await waitFor('recording', async () => (await getById(id)).state === 'recording');
	assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	await stopAndCheckFiles(id);
});

test('INPUT_TYPE_SRT_URL: the caller pulling from an ffmpeg SRT listener reports its figures too', async () => {
	const port = await freePort('udp');
	const ffmpeg = pushWithFfmpeg(fixture('h264-aac48'), 'mpegts', `srt://127.0.0.1:${port}?mode=listener&linger=2`, [
		'-t',
		'3',
	]);
	const id = await create('srt caller', {
		input_type: 'INPUT_TYPE_SRT_URL',
		input_stream_url: `srt://127.0.0.1:${port}`,
	});
	await waitFor('SRT figures', async () => Number((await statOf(id))?.input_stats?.['packets_received'] ?? 0) > 0);
	assertSrtStats((await statOf(id))?.input_stats, 'caller');
	assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	await stopAndCheckFiles(id);
});

test("a job's private stream is fed only by its own input: an RTMP push with no key to recording/<jobId> is refused", async () => {
	const port = await freePort('udp');
	const id = await create(
		'srt with passphrase',
		{
			input_type: 'INPUT_TYPE_SRT_LISTEN',
			input_stream_listen_port: { port, transport: 'UDP' },
			passphrase: 'job-passphrase-1',
		},
		'ts',
	);
	const intruder = pushWithFfmpeg(fixture('h264-aac48'), 'flv', `rtmp://127.0.0.1:${RTMP_PORT}/recording/${id}`, [
		'-t',
		'1',
	]);
	assert.is.not(await intruder.exited, 0, 'the built-in RTMP listener refuses the private stream');
	const wrong = pushWithFfmpeg(
		fixture('h264-aac48'),
		'mpegts',
		`srt://127.0.0.1:${port}?linger=2&passphrase=not-the-passphrase`,
		['-t', '1'],
	);
	assert.is.not(await wrong.exited, 0, "the job's own SRT port checks its passphrase");
	const view = await getById(id);
	assert.is(view.state, 'ready');
	assert.is(view.recordedFiles.length, 0);
	const right = pushWithFfmpeg(
		fixture('h264-aac48'),
		'mpegts',
		`srt://127.0.0.1:${port}?linger=2&passphrase=job-passphrase-1`,
		['-t', '2'],
	);
	await waitFor('recording', async () => (await getById(id)).state === 'recording');
	assert.is(await right.exited, 0, right.stderr);
	await stopAndCheckFiles(id);
});

test('listeners beyond loopback with no publish keys or webhook: the server refuses to start and says why', async () => {
	const refused = await startServer(await freePort(), newDataDir(), ['--host', '0.0.0.0']).then(
		async (started) => {
			await started.peer.stop();
			return 'started';
		},
		(error: Error) => error.message,
	);
	assert.match(refused, /reachable beyond this machine.*--allow-open-publish/);
});

test.run();
