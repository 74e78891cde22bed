/**
 * Where OME's code and documentation differ, tapedeck answers as the code does: a duplicate id is 400,
 * an application the server does not serve is 404, keys OME leaves out are left out, the info XML
 * always carries `<metadata>`, and a task whose publisher left reads `stopped` with its totals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { createApp } from '../../src/api/app.ts';
import { appendInfoFile } from '../../src/recorder/info-file.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait.ts';
import { makeService } from './service-kit.ts';

const TOKEN = 'ome-fidelity';
const { registry, store, service, recordingsRoot } = makeService({ syncIntervalMs: 50 });
const app = createApp({ service, recordingsRoot, accessToken: TOKEN, version: 't', ome: { applications: ['app'] } });
const AUTH = `Basic ${Buffer.from(TOKEN).toString('base64')}`;

type Envelope = { statusCode: number; message: string; response?: Record<string, unknown> & Record<string, unknown>[] };
const call = async (path: string, body?: unknown): Promise<{ status: number; json: Envelope }> => {
	const response = await app.request(path, {
		method: 'POST',
		headers: { authorization: AUTH, 'content-type': 'application/json' },
		body: body === undefined ? '' : JSON.stringify(body),
	});
	return { status: response.status, json: (await response.json()) as Envelope };
};

test('duplicate id: 400 "Duplicate ID already exists"; an app not served: 404 naming it', async () => {
	assert.is((await call('/v1/vhosts/default/apps/app:startRecord', { id: 'd', stream: { name: 's' } })).status, 200);
	const dup = await call('/v1/vhosts/default/apps/app:startRecord', { id: 'd', stream: { name: 'other' } });
	assert.equal(dup, { status: 400, json: { statusCode: 400, message: '[HTTP] Duplicate ID already exists (400)' } });
	const elsewhere = await call('/v1/vhosts/default/apps/app1:startRecord', { id: 'e', stream: { name: 's' } });
	assert.equal(elsewhere, {
		status: 404,
		json: { statusCode: 404, message: '[HTTP] Could not find the application: [default/app1] (404)' },
	});
	assert.is((await call('/v1/vhosts/default/apps/app1:records')).status, 404);
	await call('/v1/vhosts/default/apps/app:stopRecord', { id: 'd' });
});

test('keys OME leaves out: empty metadata, interval 0, empty schedule, figures of a task that has not recorded', async () => {
	const started = await call('/v1/vhosts/default/apps/app:startRecord', {
		id: 'quiet',
		stream: { name: 'nothing-here' },
		metadata: '',
		interval: 0,
		schedule: '',
	});
	assert.is(started.status, 200);
	assert.equal(Object.keys(started.json.response ?? {}), [
		'state',
		'isConfig',
		'id',
		'vhost',
		'app',
		'stream',
		'filePath',
		'outputFilePath',
		'infoPath',
		'outputInfoPath',
		'segmentationRule',
		'createdTime',
	]);
	await call('/v1/vhosts/default/apps/app:stopRecord', { id: 'quiet' });
});

test('the info XML carries <metadata> when the task has none', async () => {
	const path = join(tempDir('info'), 'info.xml');
	await appendInfoFile(path, {
		transactionId: 'TX',
		id: 'no-metadata',
		vhost: 'default',
		app: 'app',
		stream: 'cam',
		filePath: '/rec/cam_0.ts',
		recordBytes: 1,
		recordTime: 1,
		sequence: 0,
		lastSequence: true,
		createdTime: new Date(),
		startTime: new Date(),
		finishTime: new Date(),
	});
	assert.match(readFileSync(path, 'utf8'), /<id>no-metadata<\/id>\s*<metadata><\/metadata>/);
});

test('after the publisher leaves, the task reads stopped with totals, sequence and finishTime; a new push records on', async () => {
	assert.is(
		(await call('/v1/vhosts/default/apps/app:startRecord', { id: 'show', stream: { name: 'cam' } })).status,
		200,
	);
	const push = () => {
		const publisher = registry.publish({ vhost: 'default', app: 'app', stream: 'cam' }, 'test');
		const demuxer = createDemuxer('ts', publisher);
		demuxer.push(readFileSync(fixture('h264-aac48')));
		demuxer.end();
		return publisher;
	};
	const record = async () =>
		(await call('/v1/vhosts/default/apps/app:records', { id: 'show' })).json.response?.[0] ?? {};
	let publisher = push();
	assert.ok(await waitFor(() => service.get('show').state === 'recording', 5000));
	publisher.end();
	const finished = (count: number) => () =>
		service.get('show').state === 'ready' &&
		service.files('show').filter((f) => f.state === 'complete').length === count;
	assert.ok(await waitFor(finished(1), 5000));
	const first = await record();
	assert.is(first['state'], 'stopped');
	assert.is(first['sequence'], 1);
	assert.ok((first['totalRecordBytes'] as number) > 10_000);
	assert.ok('finishTime' in first && 'startTime' in first);

	publisher = push();
	assert.ok(await waitFor(() => service.get('show').state === 'recording', 5000));
	const again = await record();
	assert.is(again['state'], 'recording');
	assert.is(again['sequence'], 1, 'the second file is sequence 1');
	assert.ok(!('finishTime' in again));
	publisher.end();
	assert.ok(await waitFor(finished(2), 5000));
	assert.is((await record())['sequence'], 2);
	await call('/v1/vhosts/default/apps/app:stopRecord', { id: 'show' });
});

test.after(async () => {
	await service.shutdown();
	await store.close();
});

test.run();
