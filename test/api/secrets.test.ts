/** Secrets of inputs (SRT passphrases, passwords in URLs) are stored but never shown by an API answer. */
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { maskSecretsIn, maskUrl } from '../../src/core/input-spec.ts';
import { test } from '../helpers/suite.ts';
import { waitFor } from '../helpers/wait.ts';
import { makeService } from './service-kit.ts';

const SECRET = 'secrets-test';
const { service, store, storePath, recordingsRoot } = makeService();
const app = createApp({ service, recordingsRoot, accessToken: SECRET, version: 't' });
const jwt = await issueAccessJwt(SECRET, 1);

const call = async (op: string, body?: unknown): Promise<{ status: number; text: string }> => {
	const response = await app.request(`/api/recording/${op}`, {
		method: 'POST',
		headers: { 'x-access-token': jwt },
		body: body === undefined ? '' : JSON.stringify(body),
	});
	return { status: response.status, text: await response.text() };
};

const PASSPHRASE = 'correct-horse-battery';
const PASSWORD = 'pa55word-rtsp';
const QUERY_PASSPHRASE = 'query-passphrase-42';

const create = async (name: string, input: Record<string, unknown>, active = false) => {
	const answer = await call('create', {
		recording_name: name,
		recording_type: 'RECORDING_STREAM_TO_FILE',
		input,
		output_format: 'mp4',
		active,
	});
	assert.is(answer.status, 200, answer.text);
	return JSON.parse(answer.text).id as string;
};

test('maskUrl hides a password and secret query parameters, keeps the rest', () => {
	assert.is(maskUrl('rtsp://cam:pw@10.0.0.1:554/live'), 'rtsp://cam:***@10.0.0.1:554/live');
	assert.is(
		maskUrl('srt://1.2.3.4:8000?passphrase=abcdefghijk&latency=200'),
		'srt://1.2.3.4:8000?passphrase=***&latency=200',
	);
	assert.is(maskUrl('udp://239.0.0.1:5000'), 'udp://239.0.0.1:5000');
	const spec = { protocol: 'rtsp', direction: 'pull', url: 'rtsp://u:s3cr%40t@h/x' } as const;
	assert.is(maskSecretsIn('401 from rtsp://u:s3cr@t@h/x', spec), '401 from rtsp://u:***@h/x', 'reasons too');
});

test('passphrases and passwords are masked in getById, getAll, update and state reasons; the store keeps them', async () => {
	const listen = await create('srt listen', {
		input_type: 'INPUT_TYPE_SRT_LISTEN',
		input_stream_listen_port: { port: 20_555, transport: 'UDP' },
		passphrase: PASSPHRASE,
	});
	const pull = await create(
		'rtsp pull',
		// Port 1 refuses: the run fails, and its reason would quote the URL.
		{ input_type: 'INPUT_TYPE_RTSP_URL', input_stream_url: `rtsp://cam:${PASSWORD}@127.0.0.1:1/live` },
		true,
	);
	const srtUrl = await create('srt url', {
		input_type: 'INPUT_TYPE_SRT_URL',
		input_stream_url: `srt://127.0.0.1:9?passphrase=${QUERY_PASSPHRASE}`,
	});
	await waitFor(() => service.get(pull).state === 'error' || service.get(pull).reason !== 'starting', 5000);
	const answers = [
		await call('getById', { id: listen }),
		await call('getById', { id: pull }),
		await call('getById', { id: srtUrl }),
		await call('getAll'),
		await call('getStat'),
		await call('update', { id: listen, recording_name: 'srt listen 2' }),
	];
	for (const answer of answers) {
		assert.is(answer.status, 200, answer.text);
		for (const secret of [PASSPHRASE, PASSWORD, QUERY_PASSPHRASE]) assert.not.match(answer.text, secret);
	}
	const shown = JSON.parse(answers[0]?.text ?? '{}');
	assert.is(shown.input.passphrase, '***');
	assert.match(answers[1]?.text ?? '', 'rtsp://cam:***@127.0.0.1:1/live');
	// An update that sends back what getById showed keeps the stored passphrase.
	assert.is((await call('update', { id: listen, input: shown.input })).status, 200);
	assert.is(service.get(listen).input?.credentials?.passphrase, PASSPHRASE);
	await store.synced();
	const journal = readFileSync(storePath, 'utf8');
	for (const secret of [PASSPHRASE, PASSWORD, QUERY_PASSPHRASE]) assert.match(journal, secret, 'stored');
});

test.after(async () => {
	await service.shutdown();
	await store.close();
});

test.run();
