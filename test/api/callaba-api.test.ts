/** The Callaba dialect's contract, through `app.request()` (no socket): shapes, auth, validation, errors. */
import { sign } from 'hono/jwt';
import * as assert from 'uvu/assert';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import { makeService } from './service-kit.ts';

const SECRET = 'test-secret';
const { store, service, recordingsRoot } = makeService();
const app = createApp({ service, recordingsRoot, accessToken: SECRET, version: 'test' });
const jwt = await issueAccessJwt(SECRET, 1);

type Json = Record<string, unknown> & { message?: string; errors?: Array<{ field: string; message: string }> };

const call = async (
	path: string,
	body?: unknown,
	options: { method?: string; token?: string | null; raw?: string } = {},
): Promise<{ status: number; json: Json & Json[] }> => {
	const headers: Record<string, string> = {};
	if (options.token !== null) headers['x-access-token'] = options.token ?? jwt;
	if (body !== undefined) headers['content-type'] = 'application/json';
	const response = await app.request(path, {
		method: options.method ?? 'POST',
		headers,
		body: options.raw ?? (body === undefined ? '' : JSON.stringify(body)),
	});
	return { status: response.status, json: (await response.json()) as Json & Json[] };
};

const udpInput = (port: number) => ({
	input_type: 'INPUT_TYPE_UDP_LISTEN',
	input_stream_listen_port: { port, transport: 'UDP' },
});
/** The port a started recording listens on. */
const UDP_PORT = await freePort('udp');
const valid = (name: string, extra: Record<string, unknown> = {}) => ({
	recording_name: name,
	recording_type: 'RECORDING_STREAM_TO_FILE',
	input: udpInput(UDP_PORT),
	output_format: 'mp4',
	active: false,
	...extra,
});

test('401 without a token, with a bad signature, with an expired token, with a Bearer prefix', async () => {
	assert.is((await call('/api/recording/getAll', undefined, { token: null })).status, 401);
	const forged = await issueAccessJwt('another-secret', 1);
	const bad = await call('/api/recording/getAll', undefined, { token: forged });
	assert.is(bad.status, 401);
	assert.is(bad.json.success, false);
	const expired = await sign({ iat: 1, exp: 2 }, SECRET, 'HS256');
	assert.is((await call('/api/recording/getAll', undefined, { token: expired })).status, 401);
	assert.is((await call('/api/recording/getAll', undefined, { token: `Bearer ${jwt}` })).status, 401);
	assert.is((await call('/api/utils/getStat', undefined, { token: null })).status, 401);
});

test('create: missing fields and wrong types are named with their rule', async () => {
	const empty = await call('/api/recording/create', {});
	assert.is(empty.status, 400);
	const fields = empty.json.errors?.map((e) => e.field);
	assert.equal(fields?.sort(), ['input', 'output_format', 'recording_name', 'recording_type']);
	assert.match(empty.json.message ?? '', 'recording_name: is required');
	const wrong = await call('/api/recording/create', valid('x', { active: 'yes', output_format: 'mkv', interval: -5 }));
	assert.is(wrong.status, 400);
	assert.match(wrong.json.message ?? '', /active: .*expected boolean/);
	assert.match(wrong.json.message ?? '', /output_format: .*"mp4"/);
	assert.match(wrong.json.message ?? '', /interval: /);
	const port = await call('/api/recording/create', valid('x', { input: { input_type: 'INPUT_TYPE_UDP_LISTEN' } }));
	assert.is(port.status, 400);
	assert.match(port.json.message ?? '', 'input_stream_listen_port.port is required');
	const json = await call('/api/recording/create', undefined, { raw: '{nope' });
	assert.is(json.status, 400);
	assert.match(json.json.message ?? '', 'not valid JSON');
});

test('create: unsupported choices and unsafe paths are refused with a clear message', async () => {
	const generate = await call(
		'/api/recording/create',
		valid('gen', { input: { input_type: 'INPUT_TYPE_GENERATE_TEST_VIDEO' } }),
	);
	assert.is(generate.status, 400);
	assert.match(generate.json.message ?? '', 'TESTSRC input that pulls is not supported yet');
	const rtmp = await call(
		'/api/recording/create',
		valid('rtmp', { input: { input_type: 'INPUT_TYPE_RTMP_SOFTWARE', input_module_id: 'rtmp' } }),
	);
	assert.is(rtmp.status, 400);
	assert.match(rtmp.json.message ?? '', 'the stream on the built-in RTMP listener is required');
	const noModule = await call(
		'/api/recording/create',
		valid('srt', { input: { input_type: 'INPUT_TYPE_SRT_SOFTWARE' } }),
	);
	assert.is(noModule.status, 400);
	assert.match(noModule.json.message ?? '', 'input.input_module_id is required for INPUT_TYPE_SRT_SOFTWARE');
	const module = await call(
		'/api/recording/create',
		valid('srt', { input: { input_type: 'INPUT_TYPE_SRT_SOFTWARE', input_module_id: 'x', input_stream_id: 'live/a' } }),
	);
	assert.is(module.status, 404);
	assert.match(
		module.json.message ?? '',
		'"x" is no built-in listener of this server; built-in listeners: "rtmp", "srt"',
	);
	const memory = await call('/api/recording/create', valid('m', { recording_type: 'RECORDING_STREAM_TO_MEMORY' }));
	assert.match(memory.json.message ?? '', 'not supported yet');
	const climb = await call('/api/recording/create', valid('climb', { file_path: '../../etc/x.mp4' }));
	assert.is(climb.status, 400);
	assert.match(climb.json.message ?? '', '".." segment');
	const abs = await call('/api/recording/create', valid('abs', { file_path: '/etc/x.mp4' }));
	assert.is(abs.status, 400);
	assert.match(abs.json.message ?? '', 'outside the recordings folder');
	const transcode = await call('/api/recording/create', valid('t', { transcoding: { video_transcoding: 'H264' } }));
	assert.is(transcode.status, 400);
	assert.match(transcode.json.message ?? '', 'transcoding.video_transcoding');
	const schedule = await call('/api/recording/create', valid('s', { schedule: '0 0', interval: 1000 }));
	assert.is(schedule.status, 400);
});

test('create → getById → getAll → update → start/stop → getStat → remove, with the seed shapes', async () => {
	const created = await call(
		'/api/recording/create',
		valid('Awesome recorded stream', { transcoding: { video_transcoding: 'Disabled', audio_transcoding: 'Disabled' } }),
	);
	assert.is(created.status, 200);
	assert.is(created.json.success, 'true');
	const id = created.json.id as string;
	assert.match(id, /^[0-9a-f]{24}$/);
	assert.ok(!Number.isNaN(Date.parse(created.json.created as string)));

	const dup = await call('/api/recording/create', valid('Awesome recorded stream'));
	assert.is(dup.status, 409);

	const one = await call('/api/recording/getById', { id });
	assert.is(one.status, 200);
	for (const field of [
		'id',
		'recording_name',
		'recording_type',
		'output_format',
		'active',
		'created',
		'recordedFiles',
		'modified',
	]) {
		assert.ok(field in one.json, `getById has ${field}`);
	}
	assert.is(one.json.recording_type, 'RECORDING_STREAM_TO_FILE');
	assert.is(one.json.active, false);
	assert.equal(one.json.recordedFiles, []);

	const all = await call('/api/recording/getAll');
	assert.ok(Array.isArray(all.json));
	assert.ok(all.json.some((r) => r.id === id));

	const updated = await call('/api/recording/update', {
		...valid('Awesome recorded stream MOV'),
		id,
		output_format: 'mov',
	});
	assert.is(updated.status, 200);
	assert.is(updated.json.success, true);
	const after = await call('/api/recording/getById', { id });
	assert.is(after.json.recording_name, 'Awesome recorded stream MOV');
	assert.is(after.json.output_format, 'mov');

	assert.equal((await call('/api/recording/start', { id })).json, { success: true });
	const started = await call('/api/recording/getById', { id });
	assert.is(started.json.active, true);
	assert.is(started.json.state, 'ready');
	const stats = await call('/api/recording/getStat');
	const stat = stats.json.find((s) => s.id === id);
	assert.ok(stat && typeof stat.bitrate === 'number');
	assert.equal((await call('/api/recording/stop', { id })).json, { success: true });
	assert.equal((await call('/api/recording/stop', { id })).json, { success: true }, 'stop is idempotent');
	assert.is((await call('/api/recording/getById', { id })).json.active, false);

	assert.is((await call('/api/recording/removeFile', { record_id: id, file_id: 'nope' })).status, 404);
	assert.equal((await call('/api/recording/remove', { id }, { method: 'DELETE' })).json, { success: true });
	assert.is((await call('/api/recording/getById', { id })).status, 404);
});

test('unknown ids are 404 with the id in the message', async () => {
	for (const path of ['/api/recording/getById', '/api/recording/start', '/api/recording/stop']) {
		const r = await call(path, { id: 'ffffffffffffffffffffffff' });
		assert.is(r.status, 404, path);
		assert.match(r.json.message ?? '', 'ffffffffffffffffffffffff');
	}
	assert.is((await call('/api/recording/remove', { id: 'nope' }, { method: 'DELETE' })).status, 404);
	const update = await call('/api/recording/update', { ...valid('zz'), id: 'nope' });
	assert.is(update.status, 404);
	assert.is((await call('/api/recording/nothing')).status, 404);
});

test('utils/getStat reports free disk space; the OpenAPI document lists every endpoint', async () => {
	const stat = await call('/api/utils/getStat');
	assert.is(stat.status, 200);
	const disk = stat.json.disk as { free_bytes: number; total_bytes: number };
	assert.ok(disk.free_bytes > 0 && disk.total_bytes >= disk.free_bytes);
	const response = await app.request('/api/openapi.json');
	assert.is(response.status, 200);
	const doc = (await response.json()) as {
		paths: Record<string, unknown>;
		components: { schemas: Record<string, unknown> };
	};
	for (const name of ['create', 'update', 'start', 'stop', 'getAll', 'getById', 'getStat', 'removeFile', 'remove']) {
		assert.ok(`/api/recording/${name}` in doc.paths, name);
	}
	assert.ok('/api/utils/getStat' in doc.paths);
	assert.ok('RecordingSettings' in doc.components.schemas);
});

test.after(async () => {
	await service.shutdown();
	store.close();
});

test.run();
