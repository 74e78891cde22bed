/**
 * The body receivers get: paths relative to the recordings folder and absolute, the file's figures and
 * codecs, the deletion's rule; no secret of the job's input anywhere, even where a reason quotes its URL.
 */
import * as assert from 'uvu/assert';
import { webhookEventOf } from '../../../src/ops/webhooks/webhook-event.ts';
import type { RecordingJob } from '../../../src/recorder/recording-job.ts';
import type { RecordedFile } from '../../../src/recorder/recording-spec.ts';
import { test } from '../../helpers/suite.ts';

const PASSWORD = 'cam-password-77';
const URL_WITH_PASSWORD = `rtsp://viewer:${PASSWORD}@cam.example/stream?token=tok-secret-5`;

const job: RecordingJob = {
	id: 'job-1',
	name: 'gate',
	dialect: 'ome',
	key: { vhost: 'default', app: 'recording', stream: 'job-1' },
	streamName: 'gate',
	input: { protocol: 'rtsp', direction: 'pull', url: URL_WITH_PASSWORD, credentials: { password: PASSWORD } },
	format: 'mp4',
	// biome-ignore lint/suspicious/noTemplateCurlyInString: a path template, not a JS template
	filePath: '${Stream}/${Sequence}.mp4',
	segmentationRule: 'discontinuity',
	active: true,
	createdAt: '2026-12-03T10:00:00.000Z',
	modifiedAt: '2026-12-03T10:00:00.000Z',
	transactionId: 'tx-1',
	state: 'error',
	reason: `cannot reach ${URL_WITH_PASSWORD}`,
};

const file: RecordedFile = {
	id: 'file-1',
	sequence: 7,
	path: '/data/recordings/gate/7.mp4',
	partPath: '/data/recordings/gate/7.mp4.part',
	state: 'failed',
	bytes: 1234,
	durationMs: 5000,
	startedAt: '2026-12-03T10:00:00.000Z',
	endedAt: '2026-12-03T10:00:05.000Z',
	error: `input ${URL_WITH_PASSWORD} ended`,
	codecs: ['h265', 'opus'],
};

test('a file event carries the file relative and absolute, its figures and codecs, and no secret', () => {
	const event = webhookEventOf({ type: 'file.failed', job, file }, '/data/recordings', new Date(0), 'event-1');
	assert.equal(event.file, {
		id: 'file-1',
		sequence: 7,
		path: 'gate/7.mp4',
		absolutePath: '/data/recordings/gate/7.mp4',
		state: 'failed',
		bytes: 1234,
		durationMs: 5000,
		startedAt: '2026-12-03T10:00:00.000Z',
		endedAt: '2026-12-03T10:00:05.000Z',
		codecs: ['h265', 'opus'],
		error: 'input rtsp://viewer:***@cam.example/stream?token=*** ended',
	});
	assert.is(event.id, 'event-1');
	assert.is(event.createdAt, '1970-01-01T00:00:00.000Z');
	const body = JSON.stringify(event);
	for (const secret of [PASSWORD, 'tok-secret-5']) assert.not.match(body, secret);
	assert.is(event.job.reason, 'cannot reach rtsp://viewer:***@cam.example/stream?token=***');
	assert.equal(event.job.input?.credentials, { password: '***' });
	assert.is(event.job.stream, 'default/recording/job-1');
});

test('file.deleted names its rule; job.state has no file; an old file without codecs has none', () => {
	const { codecs: _, ...older } = file;
	const deleted = webhookEventOf(
		{ type: 'file.deleted', job, file: older, reason: 'maxAgeMs' },
		'/data/recordings',
		new Date(),
	);
	assert.is(deleted.reason, 'maxAgeMs');
	assert.equal(deleted.file?.codecs, []);
	const state = webhookEventOf({ type: 'job.state', job }, '/data/recordings', new Date());
	assert.is(state.file, undefined);
	assert.is(state.reason, undefined);
	assert.ok(state.id.length >= 32, 'a new id');
	assert.is.not(state.id, webhookEventOf({ type: 'job.state', job }, '/data/recordings', new Date()).id);
});

test.run();
