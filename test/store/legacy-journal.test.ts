/**
 * A journal written by the first job-store format (whole jobs with their files inside, inputs in
 * Callaba's words, rewritten on every change) opens in the current model and format.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { defaultFilePath } from '../../src/api/callaba/translate.ts';
import { makeService } from '../api/service-kit.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const data = tempDir('legacy');
const recordingsRoot = join(data, 'recordings');

const file = (n: number) => ({
	id: `66aa00000000000000000${n}00`,
	sequence: n,
	path: join(recordingsRoot, `cam_${n}.mp4`),
	partPath: join(recordingsRoot, `cam_${n}.mp4.part`),
	state: 'complete',
	bytes: 1000 + n,
	durationMs: 2000,
	startedAt: '2026-01-01T00:00:00.000Z',
	endedAt: '2026-01-01T00:00:02.000Z',
});

const callabaJob = (files: number) => ({
	name: 'north gate',
	dialect: 'callaba',
	key: { vhost: 'default', app: 'recording', stream: '66aa0000000000000000aaaa' },
	streamName: 'north_gate',
	input: {
		input_type: 'INPUT_TYPE_SRT_LISTEN',
		input_stream_listen_port: { port: 20_777, transport: 'UDP' },
		passphrase: 'correct horse battery',
		latency: 200,
		module_name: 'gate',
	},
	format: 'mp4',
	filePath: defaultFilePath('mp4'),
	segmentationRule: 'discontinuity',
	active: false,
	extra: { recording_type: 'RECORDING_STREAM_TO_FILE' },
	id: '66aa0000000000000000aaaa',
	createdAt: '2026-01-01T00:00:00.000Z',
	modifiedAt: '2026-01-01T00:00:00.000Z',
	transactionId: 'AAAAAAAAAAAAAAAA',
	state: 'stopped',
	reason: 'inactive',
	files: Array.from({ length: files }, (_, n) => file(n)),
});

const omeJob = {
	...callabaJob(0),
	name: 'ome-task',
	dialect: 'ome',
	key: { vhost: 'default', app: 'app', stream: 'cam' },
	input: undefined,
	id: 'ome-task',
};

test('old Callaba-shaped records become the new model: input in tapedeck words, files as items, rewritten', async () => {
	mkdirSync(join(data, 'store'), { recursive: true });
	const lines = [
		{ op: 'put', value: callabaJob(1) },
		{ op: 'put', value: callabaJob(2) },
		{ op: 'put', value: omeJob },
		{ op: 'put', value: { ...omeJob, id: 'gone', name: 'gone' } },
		{ op: 'delete', id: 'gone' },
		{ op: 'put', value: callabaJob(3) },
	];
	writeFileSync(join(data, 'store', 'recordings.jsonl'), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));

	const { service, store, storePath } = makeService({ data });
	await service.init();
	const job = service.get('66aa0000000000000000aaaa');
	assert.equal(job.input, {
		protocol: 'srt',
		direction: 'listen',
		address: { port: 20_777, transport: 'udp' },
		credentials: { passphrase: 'correct horse battery' },
		options: { latencyMs: 200 },
	});
	assert.equal(
		service.files(job.id).map((f) => [f.sequence, f.bytes]),
		[
			[0, 1000],
			[1, 1001],
			[2, 1002],
		],
	);
	assert.equal(
		service
			.list()
			.map((j) => j.id)
			.sort(),
		['66aa0000000000000000aaaa', 'ome-task'],
	);
	assert.is(service.get('ome-task').input, undefined);
	assert.equal(service.get('ome-task').key, { vhost: 'default', app: 'app', stream: 'cam' });

	const journal = readFileSync(storePath, 'utf8');
	assert.not.match(journal, '"op":"put"');
	const saved = journal
		.split('\n')
		.filter((l) => l.includes('"op":"doc"'))
		.map((l) => JSON.parse(l).value)
		.find((doc) => doc.id === job.id);
	assert.is(saved.input.protocol, 'srt', 'the model is saved, not Callaba words');
	assert.not.ok('input_type' in saved.input);
	assert.not.ok('files' in saved, 'files are items of their own');
	assert.is(journal.split('\n').filter((l) => l.includes('"op":"item"')).length, 3);

	// Callaba shows the job as it was created, the passphrase masked.
	const app = createApp({ service, recordingsRoot, accessToken: 'k', version: 'test' });
	const response = await app.request('/api/recording/getById', {
		method: 'POST',
		headers: { 'x-access-token': await issueAccessJwt('k', 1) },
		body: JSON.stringify({ id: job.id }),
	});
	const view = (await response.json()) as { input: Record<string, unknown>; recordedFiles: unknown[] };
	assert.equal(view.input, {
		module_name: 'gate',
		input_type: 'INPUT_TYPE_SRT_LISTEN',
		input_stream_listen_port: { port: 20_777, transport: 'UDP' },
		passphrase: '***',
		latency: 200,
	});
	assert.is(view.recordedFiles.length, 3);
	await service.shutdown();
	await store.close();
});

test.run();
