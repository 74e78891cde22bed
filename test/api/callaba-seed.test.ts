/**
 * Callaba's own examples (its recording API page), sent as they are, get Callaba's answers; a partial
 * update is merged into the job; jobs made through OME and Huawei are listed too.
 */

import * as assert from 'uvu/assert';
import { builtInStreamKey } from '../../ingest/built-in-module.ts';
import { createInput } from '../../ingest/create-input.ts';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import type { OpenInput } from '../../src/core/input-spec.ts';
import { test } from '../helpers/suite.ts';
import { makeService } from './service-kit.ts';

const SECRET = 'callaba-seed';
/** The module id of the seed's example SRT server. */
const SEED_MODULE = '670fe44e12a2054e88a0457f';
/** Inputs are checked as the real ones are, but none connects: what matters here is what the API answers. */
const idleInput: OpenInput = (spec, target, context) => {
	createInput(spec, target, context);
	return { description: `${spec.protocol} ${spec.direction}`, start: async () => {}, stop: async () => {} };
};
const { service, store, recordingsRoot } = makeService({
	openInput: idleInput,
	modules: [
		{
			id: SEED_MODULE,
			protocol: 'srt',
			url: 'srt://127.0.0.1:9710',
			streamKey: (stream) => builtInStreamKey('srt', stream),
		},
	],
});
const app = createApp({ service, recordingsRoot, accessToken: SECRET, version: 't' });
const jwt = await issueAccessJwt(SECRET, 1);

/** As the seed's cURL lines send it: `-d` with a JSON body, or `-d ''` with no Content-Type. */
// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field as the seed shows them
const curl = async (method: string, path: string, data: string): Promise<{ status: number; json: any }> => {
	const headers: Record<string, string> = { accept: 'application/json', 'x-access-token': jwt };
	if (data !== '') headers['Content-Type'] = 'application/json';
	const response = await app.request(path, { method, headers, body: data });
	return { status: response.status, json: await response.json() };
};

let id = '';

test('create: the seed example (SRT server module, input_stream_id "", transcoding Disabled) is accepted', async () => {
	const created = await curl(
		'POST',
		'/api/recording/create',
		`{
"recording_name": "Awesome recorded stream",
"recording_type": "RECORDING_STREAM_TO_FILE",
"input": {
"input_type": "INPUT_TYPE_SRT_SOFTWARE",
"input_module_id": "670fe44e12a2054e88a0457f",
"input_stream_id": ""
},
"transcoding": {
"video_transcoding": "Disabled",
"audio_transcoding": "Disabled"
},
"output_format": "mp4",
"active": true
}`,
	);
	assert.is(created.status, 200, JSON.stringify(created.json));
	assert.equal(Object.keys(created.json), ['id', 'created', 'success']);
	assert.is(created.json.success, 'true');
	id = created.json.id;
	// A caller that sends no stream id to the SRT listener publishes live/default: that is what this job records.
	assert.equal(service.get(id).key, { vhost: 'default', app: 'live', stream: 'default' });
	const shown = await curl('POST', '/api/recording/getById', JSON.stringify({ id }));
	assert.equal(shown.json.input, {
		input_type: 'INPUT_TYPE_SRT_SOFTWARE',
		input_module_id: SEED_MODULE,
		input_stream_id: '',
	});
	assert.equal(shown.json.transcoding, { video_transcoding: 'Disabled', audio_transcoding: 'Disabled' });
});

test('update: the seed example (RTSP URL, mov) is accepted; a partial update is merged into the job', async () => {
	const updated = await curl(
		'POST',
		'/api/recording/update',
		`{
"id": "${id}",
"recording_name": "Awesome recorded stream MOV",
"recording_type": "RECORDING_STREAM_TO_FILE",
"input": {
"input_type": "INPUT_TYPE_RTSP_URL",
"input_stream_url": "rtsp://127.0.0.1/live.sdp"
},
"output_format": "mov",
"active": true
}`,
	);
	assert.is(updated.status, 200, JSON.stringify(updated.json));
	assert.is(updated.json.success, true);
	assert.equal(service.get(id).input, { protocol: 'rtsp', direction: 'pull', url: 'rtsp://127.0.0.1/live.sdp' });

	const partial = await curl('POST', '/api/recording/update', JSON.stringify({ id, active: false }));
	assert.is(partial.status, 200, JSON.stringify(partial.json));
	const after = await curl('POST', '/api/recording/getById', JSON.stringify({ id }));
	assert.is(after.json.active, false);
	assert.is(after.json.recording_name, 'Awesome recorded stream MOV', 'the rest of the job is kept');
	assert.is(after.json.output_format, 'mov');
	assert.equal(after.json.input, { input_type: 'INPUT_TYPE_RTSP_URL', input_stream_url: 'rtsp://127.0.0.1/live.sdp' });
});

test('start, stop, getAll and getStat with -d "", getById, removeFile and remove: the seed answers', async () => {
	assert.equal((await curl('POST', '/api/recording/start', `{\n"id": "${id}"\n}`)).json, { success: true });
	assert.equal((await curl('POST', '/api/recording/stop', `{\n"id": "${id}"\n}`)).json, { success: true });
	const all = await curl('POST', '/api/recording/getAll', '');
	assert.is(all.status, 200);
	const listed = all.json.find((r: { id: string }) => r.id === id);
	for (const key of [
		'id',
		'recording_name',
		'recording_type',
		'output_format',
		'active',
		'created',
		'recordedFiles',
		'modified',
	]) {
		assert.ok(key in listed, key);
	}
	const stats = await curl('POST', '/api/recording/getStat', '');
	assert.is(typeof stats.json.find((s: { id: string }) => s.id === id)?.bitrate, 'number');
	const removeFile = await curl(
		'POST',
		'/api/recording/removeFile',
		`{\n"record_id": "StringObjectId",\n"file_id": "StringObjectId"\n}`,
	);
	assert.is(removeFile.status, 404, 'the seed placeholder names no recording');
	assert.equal((await curl('DELETE', '/api/recording/remove', `{\n"id": "${id}"\n}`)).json, { success: true });
});

test('the other input examples: an SRT listen port given with INPUT_TYPE_SRT_URL, URL parameters; what is not supported is refused by name', async () => {
	const create = (name: string, input: unknown) =>
		curl(
			'POST',
			'/api/recording/create',
			JSON.stringify({
				recording_name: name,
				recording_type: 'RECORDING_STREAM_TO_FILE',
				input,
				output_format: 'mp4',
				active: false,
			}),
		);
	const listen = await create('listen', {
		input_type: 'INPUT_TYPE_SRT_URL',
		input_stream_listen_port: { port: 2035, transport: 'UDP' },
	});
	assert.is(listen.status, 200, JSON.stringify(listen.json));
	assert.equal(service.get(listen.json.id).input, {
		protocol: 'srt',
		direction: 'listen',
		address: { port: 2035, transport: 'udp' },
	});
	const url = await create('url', {
		input_type: 'INPUT_TYPE_SRT_URL',
		input_stream_url: 'srt://1.2.3.4:8000?rcvbuf=12036704',
	});
	// The SRT caller does not take rcvbuf: refused by name rather than ignored.
	assert.is(url.status, 400, JSON.stringify(url.json));
	assert.match(url.json.message, 'option "rcvbuf" is not supported');
	const latency = await create('url', {
		input_type: 'INPUT_TYPE_SRT_URL',
		input_stream_url: 'srt://1.2.3.4:8000?latency=200',
	});
	assert.is(latency.status, 200, JSON.stringify(latency.json));
	assert.is(service.get(latency.json.id).input?.url, 'srt://1.2.3.4:8000?latency=200');
	const generated = await create('test video', {
		input_type: 'INPUT_TYPE_GENERATE_TEST_VIDEO',
		test_video_bitrate: 2500,
	});
	assert.is(generated.status, 400);
	assert.match(generated.json.message, 'not supported yet');
});

test('getAll lists the jobs made through OME and Huawei, with the stream they record', async () => {
	const ome = await app.request('/v1/vhosts/default/apps/app:startRecord', {
		method: 'POST',
		headers: { authorization: `Basic ${Buffer.from(SECRET).toString('base64')}` },
		body: JSON.stringify({ id: 'ome-job', stream: { name: 'cam' } }),
	});
	assert.is(ome.status, 200);
	const all = await curl('POST', '/api/recording/getAll', '');
	const listed = all.json.find((r: { id: string }) => r.id === 'ome-job');
	assert.ok(listed, 'the OME job is listed');
	assert.is(listed.recording_name, 'ome-job');
	assert.equal(listed.input, { input_type: 'INPUT_TYPE_OTHER', input_stream_id: 'app/cam' });
	assert.is(listed.api, 'ome');
});

test.after(async () => {
	await service.shutdown();
	await store.close();
});

test.run();
