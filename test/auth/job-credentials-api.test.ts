/**
 * Per-job publish credentials through the Callaba API: `publish_key`, `user` + `password`,
 * `allowed_sources` reach the job's input model (what its own listener checks), are stored, and are
 * never shown: every answer masks them, and an update that sends the mask back keeps the stored ones.
 */

import * as assert from 'uvu/assert';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { makeService } from '../api/service-kit.ts';
import { test } from '../helpers/suite.ts';

const SECRET = 'job-credentials-test';
const { service, store } = makeService();
const app = createApp({ service, recordingsRoot: '/nonexistent', accessToken: SECRET, version: 't' });
const jwt = await issueAccessJwt(SECRET, 1);

const call = async (op: string, body: unknown): Promise<{ status: number; text: string }> => {
	const response = await app.request(`/api/recording/${op}`, {
		method: 'POST',
		headers: { 'x-access-token': jwt },
		body: JSON.stringify(body),
	});
	return { status: response.status, text: await response.text() };
};

const KEY = 'job-publish-key-9';
const PASSWORD = 'job-rtsp-password-7';

test('publish_key, user, password and allowed_sources are stored in the input model and shown masked', async () => {
	const created = await call('create', {
		recording_name: 'guarded rtsp',
		recording_type: 'RECORDING_STREAM_TO_FILE',
		input: {
			input_type: 'INPUT_TYPE_RTSP_LISTEN',
			input_stream_listen_port: { port: 27_860 },
			publish_key: KEY,
			user: 'cam',
			password: PASSWORD,
			allowed_sources: ['10.0.0.0/8'],
		},
		output_format: 'mp4',
		active: false,
	});
	assert.is(created.status, 200, created.text);
	const id = JSON.parse(created.text).id as string;
	const stored = store.get(id)?.input?.credentials;
	assert.equal(stored, { key: KEY, user: 'cam', password: PASSWORD, sources: ['10.0.0.0/8'] });

	const shown = await call('getById', { id });
	assert.not.match(shown.text, KEY);
	assert.not.match(shown.text, PASSWORD);
	const input = JSON.parse(shown.text).input as Record<string, unknown>;
	assert.is(input['publish_key'], '***');
	assert.is(input['password'], '***');
	assert.is(input['user'], 'cam');
	assert.equal(input['allowed_sources'], ['10.0.0.0/8']);

	const updated = await call('update', { id, recording_name: 'renamed', input });
	assert.is(updated.status, 200, updated.text);
	assert.not.match(updated.text, KEY);
	assert.equal(store.get(id)?.input?.credentials, stored, 'the masked values sent back keep the stored secrets');
});

test.run();
