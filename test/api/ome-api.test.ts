/**
 * The OvenMediaEngine dialect's contract through `app.request()`: auth, envelope, every documented
 * success and error, OME's response fields and order, the seeds' own request bodies, and a recording
 * fed through the real TS demuxer into the bus (files and info XML checked).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { createApp } from '../../src/api/app.ts';
import type { StreamPublisher } from '../../src/core/stream-hub.ts';
import { ffprobeErrors } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { makeService } from './service-kit.ts';

const TOKEN = 'ome-access-token';
const { registry, store, service, recordingsRoot } = makeService({ syncIntervalMs: 50 });
const app = createApp({ service, recordingsRoot, accessToken: TOKEN, version: 'test' });

const BASE = '/v1/vhosts/default/apps/app';
/** The seed's own example: `Basic b21lLWFjY2Vzcy10b2tlbg==` for the token `ome-access-token`. */
const AUTH = 'Basic b21lLWFjY2Vzcy10b2tlbg==';
const ISO_WITH_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/;

type Envelope = { statusCode: number; message: string; response?: Record<string, unknown> & Record<string, unknown>[] };

const call = async (
	path: string,
	body?: unknown,
	options: { method?: string; auth?: string | null; raw?: string; on?: typeof app } = {},
): Promise<{ status: number; json: Envelope; headers: Headers }> => {
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	if (options.auth !== null) headers['authorization'] = options.auth ?? AUTH;
	const method = options.method ?? 'POST';
	const response = await (options.on ?? app).request(path, {
		method,
		headers,
		...(method === 'GET' ? {} : { body: options.raw ?? (body === undefined ? '' : JSON.stringify(body)) }),
	});
	return { status: response.status, json: (await response.json()) as Envelope, headers: response.headers };
};

const feed = (publisher: StreamPublisher, file: string): void => {
	const demuxer = createDemuxer('ts', publisher);
	const bytes = readFileSync(file);
	for (let i = 0; i < bytes.length; i += 65_536) demuxer.push(bytes.subarray(i, i + 65_536));
	demuxer.end();
};

const waitFor = async (what: string, probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> => {
	const deadline = Date.now() + timeoutMs;
	while (!(await probe())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
};

test('401 with OME realm on every route without or with wrong Basic credentials', async () => {
	const routes: Array<[string, string]> = [
		[`${BASE}:startRecord`, 'POST'],
		[`${BASE}:stopRecord`, 'POST'],
		[`${BASE}:records`, 'POST'],
		[`${BASE}:records`, 'GET'],
		['/v1/vhosts/default/apps/app', 'GET'],
		['/v1/vhosts', 'GET'],
	];
	const wrong = [
		null,
		`Basic ${Buffer.from('wrong-token').toString('base64')}`,
		`Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`,
		`Bearer ${TOKEN}`,
		'Basic',
	];
	for (const [path, method] of routes) {
		for (const auth of wrong) {
			const r = await call(path, { id: 'x', stream: { name: 's' } }, { method, auth });
			assert.is(r.status, 401, `${method} ${path} with ${auth}`);
			assert.is(r.headers.get('www-authenticate'), 'Basic realm="OvenMediaEngine"');
			assert.is(r.json.statusCode, 401);
		}
	}
	const missing = await call(`${BASE}:records`, undefined, { auth: null });
	assert.is(missing.json.message, '[HTTP] Authorization header is required to call API (401)');
});

test(':records with no task is 200 with an empty array, POST and GET', async () => {
	for (const method of ['POST', 'GET']) {
		const r = await call(`${BASE}:records`, undefined, { method });
		assert.is(r.status, 200);
		assert.equal(r.json, { statusCode: 200, message: 'OK', response: [] });
		assert.equal(Object.keys(r.json), ['statusCode', 'message', 'response']);
	}
});

test('missing required parameters: 400 with OME messages', async () => {
	const none = await call(`${BASE}:startRecord`, {});
	assert.is(none.status, 400);
	assert.equal(none.json, {
		statusCode: 400,
		message: '[HTTP] There is no required parameter [ id stream.name] (400)',
	});
	const noStream = await call(`${BASE}:startRecord`, { id: 'x', stream: {} });
	assert.is(noStream.json.message, '[HTTP] There is no required parameter [ stream.name] (400)');
	const noId = await call(`${BASE}:startRecord`, { id: '', stream: { name: 's' } });
	assert.is(noId.json.message, '[HTTP] There is no required parameter [ id] (400)');
	const stop = await call(`${BASE}:stopRecord`, {});
	assert.is(stop.status, 400);
	assert.is(stop.json.message, '[HTTP] There is no required parameter [ id] (400)');
	const json = await call(`${BASE}:startRecord`, undefined, { raw: '{"id": "x",' });
	assert.is(json.status, 400);
	assert.match(json.json.message, 'Could not parse json context: [default/app]');
});

test('the 0.12 seed body (interval with schedule) is refused; without interval it is accepted as documented', async () => {
	const seed = {
		id: 'custom_id',
		stream: { name: 'stream_o', tracks: [100, 200] },
		filePath: `/path/to/save/recorded/file_\${Sequence}.ts`,
		infoPath: '/path/to/save/information/file.xml',
		interval: 60000,
		schedule: '0 0 */1',
		segmentationRule: 'continuity',
	};
	const both = await call(`${BASE}:startRecord`, seed);
	assert.is(both.status, 400);
	assert.is(both.json.message, '[HTTP] [Interval] and [Schedule] cannot be used at the same time (400)');

	const { interval: _interval, ...scheduled } = seed;
	const started = await call(`${BASE}:startRecord`, scheduled);
	assert.is(started.status, 200);
	assert.is(started.json.statusCode, 200);
	assert.is(started.json.message, 'OK');
	const record = started.json.response as Record<string, unknown>;
	assert.ok(!Array.isArray(record), 'startRecord answers one object');
	assert.equal(Object.keys(record), [
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
		'schedule',
		'segmentationRule',
		'createdTime',
	]);
	assert.is(record['state'], 'ready');
	assert.is(record['isConfig'], false);
	assert.is(record['id'], 'custom_id');
	assert.is(record['vhost'], 'default');
	assert.is(record['app'], 'app');
	assert.equal(record['stream'], { name: 'stream_o', trackIds: [100, 200], variantNames: [] });
	assert.is(record['filePath'], seed.filePath);
	assert.is(record['infoPath'], seed.infoPath);
	assert.is(record['outputFilePath'], '');
	assert.is(record['schedule'], '0 0 */1');
	assert.is(record['segmentationRule'], 'continuity');
	assert.match(record['createdTime'] as string, ISO_WITH_OFFSET);

	// The absolute path is taken under the recordings folder (OME's RootPath), as an MPEG-TS file.
	const job = service.get('custom_id');
	assert.is(job.format, 'ts');
	assert.is(job.filePath, `path/to/save/recorded/file_\${Sequence}.ts`);
	assert.equal(job.key, { vhost: 'default', app: 'app', stream: 'stream_o' });

	const dup = await call(`${BASE}:startRecord`, scheduled);
	assert.is(dup.status, 400, "OME's code answers 400 (its documentation says 409)");
	assert.is(dup.json.message, '[HTTP] Duplicate ID already exists (400)');

	const listed = await call(`${BASE}:records`, { id: 'custom_id' });
	assert.is(listed.json.response?.length, 1);
	const stopped = await call(`${BASE}:stopRecord`, { id: 'custom_id' });
	assert.is(stopped.status, 200);
	assert.is((stopped.json.response as Record<string, unknown>)['state'], 'stopping');
	assert.equal((await call(`${BASE}:records`)).json.response, [], 'a stopped task is forgotten');
	assert.is((await call(`${BASE}:startRecord`, scheduled)).status, 200, 'its id can be used again');
	await call(`${BASE}:stopRecord`, { id: 'custom_id' });
});

test('the other seed bodies: interval, variantNames, schedule "10 */1 *"; interval 0 means none', async () => {
	const interval = await call(`${BASE}:startRecord`, {
		id: 'i',
		stream: { name: 's' },
		interval: 60000,
		segmentationRule: 'discontinuity',
	});
	assert.is(interval.status, 200);
	assert.is(interval.json.response?.['interval'], 60000);
	assert.is(interval.json.response?.['segmentationRule'], 'discontinuity');
	const variants = await call(`${BASE}:startRecord`, { id: 'v', stream: { name: 's', variantNames: [] } });
	assert.is(variants.status, 200);
	assert.ok(!('interval' in (variants.json.response ?? {})));
	assert.is(variants.json.response?.['segmentationRule'], 'discontinuity', 'the default rule is shown');
	const everyMinute = await call(`${BASE}:startRecord`, {
		id: 'c',
		stream: { name: 's' },
		schedule: '10 */1 *',
		interval: 0,
	});
	assert.is(everyMinute.status, 200);
	for (const id of ['i', 'v', 'c']) assert.is((await call(`${BASE}:stopRecord`, { id })).status, 200);
});

test('bad schedule, bad field types and unwritable containers are 400 naming the rule', async () => {
	for (const schedule of ['* *', '60 * *', '0 0 24', 'a b c', '*/0 * *']) {
		const r = await call(`${BASE}:startRecord`, { id: 'bad', stream: { name: 's' }, schedule });
		assert.is(r.status, 400, schedule);
		assert.match(r.json.message, '[HTTP] Invalid [schedule] parameter');
	}
	const types = await call(`${BASE}:startRecord`, {
		id: 'bad',
		stream: { name: 's', trackIds: ['1'] },
		interval: '60000',
		segmentationRule: 'sometimes',
	});
	assert.is(types.status, 400);
	assert.match(types.json.message, 'stream.trackIds.0');
	assert.match(types.json.message, 'interval');
	assert.match(types.json.message, 'segmentationRule');
	const webm = await call(`${BASE}:startRecord`, { id: 'bad', stream: { name: 's' }, filePath: 'a.webm' });
	assert.is(webm.status, 400);
	assert.match(webm.json.message, 'does not write .webm');
	const climb = await call(`${BASE}:startRecord`, { id: 'bad', stream: { name: 's' }, filePath: '../x.ts' });
	assert.is(climb.status, 400);
	assert.match(climb.json.message, '".." segment');
	const macro = await call(`${BASE}:startRecord`, { id: 'bad', stream: { name: 's' }, filePath: `\${Nope}.ts` });
	assert.is(macro.status, 400);
	assert.equal((await call(`${BASE}:records`)).json.response, [], 'nothing was created');
});

test('404: unknown vhost, unknown app (when apps are configured), unknown id, unknown action', async () => {
	const vhost = await call('/v1/vhosts/other/apps/app:records');
	assert.is(vhost.status, 404);
	assert.is(vhost.json.message, '[HTTP] Could not find the virtual host: [other] (404)');
	const strict = createApp({
		service,
		recordingsRoot,
		accessToken: TOKEN,
		version: 'test',
		ome: { applications: ['app'] },
	});
	const unknownApp = await call(
		'/v1/vhosts/default/apps/app1:startRecord',
		{ id: 'x', stream: { name: 's' } },
		{ on: strict },
	);
	assert.is(unknownApp.status, 404);
	assert.is(unknownApp.json.message, '[HTTP] Could not find the application: [default/app1] (404)');
	assert.is((await call(`${BASE}:records`, undefined, { on: strict })).status, 200);
	const named = createApp({
		service,
		recordingsRoot,
		accessToken: TOKEN,
		version: 'test',
		ome: { virtualHost: 'record' },
	});
	assert.is((await call('/v1/vhosts/record/apps/app:records', undefined, { on: named })).status, 200, 'vhost "record"');
	assert.is((await call(`${BASE}:records`, undefined, { on: named })).status, 404, 'only the configured vhost');
	const stop = await call(`${BASE}:stopRecord`, { id: 'nope' });
	assert.is(stop.status, 404);
	assert.is(stop.json.message, '[HTTP] There is no record information related to the ID [nope] (404)');
	await call(`${BASE}:startRecord`, { id: 'elsewhere', stream: { name: 's' } });
	const wrongApp = await call('/v1/vhosts/default/apps/other:stopRecord', { id: 'elsewhere' });
	assert.is(wrongApp.status, 404, 'a task is stopped through its own app');
	await call(`${BASE}:stopRecord`, { id: 'elsewhere' });
	assert.is((await call(`${BASE}:pushes`)).status, 404);
	assert.is((await call(`${BASE}:startRecord`, undefined, { method: 'GET' })).status, 404);
	assert.is((await call('/v1/vhosts/default/apps/app%3Arecords', undefined, { method: 'GET' })).status, 200);
});

test('a reservation records when the stream is published: stats, stop snapshot, files and info XML', async () => {
	const started = await call(`${BASE}:startRecord`, {
		id: 'rec',
		stream: { name: 'cam' },
		filePath: `ome/\${Id}/\${SourceStream}_\${StartTime:YYYY-MM-DD}_\${Sequence}.mp4`,
		infoPath: `ome/\${Id}/info.xml`,
		metadata: { camera: 'north', n: 1 },
	});
	assert.is(started.status, 200);
	assert.is(started.json.response?.['state'], 'ready');
	assert.is(started.json.response?.['metadata'], '{"camera":"north","n":1}');

	const publisher = registry.publish({ vhost: 'default', app: 'app', stream: 'cam' }, 'test');
	feed(publisher, fixture('h264-aac48'));
	const record = async () => (await call(`${BASE}:records`, { id: 'rec' })).json.response?.[0] ?? {};
	await waitFor('recording with bytes', async () => {
		const r = await record();
		return r['state'] === 'recording' && typeof r['recordBytes'] === 'number';
	});
	const live = await record();
	assert.match(live['startTime'] as string, ISO_WITH_OFFSET);
	assert.match(live['outputFilePath'] as string, /ome\/rec\/cam_\d{4}-\d\d-\d\d_0\.mp4$/);
	assert.ok(!('finishTime' in live));
	publisher.end();

	// The publisher left: as OME's stream stop does, the file is finished, the task reads `stopped`
	// with its totals, `sequence` counts the finished file and `finishTime` is set; per-file figures are gone.
	await waitFor('stopped after the publisher left', async () => (await record())['state'] === 'stopped');
	const left = await record();
	assert.ok((left['totalRecordBytes'] as number) > 10_000);
	assert.ok(Math.abs((left['totalRecordTime'] as number) - 4000) < 300, `totalRecordTime ${left['totalRecordTime']}`);
	assert.is(left['sequence'], 1);
	assert.match(left['finishTime'] as string, ISO_WITH_OFFSET);
	assert.ok(!('recordBytes' in left) && !('recordTime' in left), 'per-file figures are left out once the file is done');

	const stopped = await call(`${BASE}:stopRecord`, { id: 'rec' });
	const snapshot = stopped.json.response as Record<string, unknown>;
	assert.is(snapshot['state'], 'stopping');
	assert.is(snapshot['totalRecordBytes'], left['totalRecordBytes']);
	assert.is(snapshot['sequence'], 1);
	const path = snapshot['outputFilePath'] as string;
	assert.ok(existsSync(path), path);
	assert.is(await ffprobeErrors(path), '');

	const info = readFileSync(snapshot['outputInfoPath'] as string, 'utf8');
	const elements = [...info.matchAll(/<(\w+)>/g)].map((m) => m[1]);
	assert.equal(elements, [
		'files',
		'file',
		'transactionId',
		'id',
		'metadata',
		'vhost',
		'app',
		'stream',
		'filePath',
		'recordBytes',
		'recordTime',
		'sequence',
		'lastSequence',
		'createdTime',
		'startTime',
		'finishTime',
	]);
	assert.match(info, '<lastSequence>false</lastSequence>', 'closed by the stream ending, not by :stopRecord');
	assert.match(info, `<filePath><![CDATA[${path}]]></filePath>`);
	assert.match(info, '<metadata>{&quot;camera&quot;:&quot;north&quot;,&quot;n&quot;:1}</metadata>');
});

test('a task in error is retried by starting the same id again', async () => {
	const body = { id: 'retry', stream: { name: 'two', trackIds: [9] } };
	await call(`${BASE}:startRecord`, body);
	const publisher = registry.publish({ vhost: 'default', app: 'app', stream: 'two' }, 'test');
	feed(publisher, fixture('h264-aac48'));
	await waitFor(
		'error',
		async () => (await call(`${BASE}:records`, { id: 'retry' })).json.response?.[0]?.['state'] === 'error',
	);
	assert.match(service.get('retry').reason, 'no track with id 9');
	const retried = await call(`${BASE}:startRecord`, { ...body, stream: { name: 'two', trackIds: [1] } });
	assert.is(retried.status, 200);
	assert.equal(retried.json.response?.['stream'], { name: 'two', trackIds: [1], variantNames: [] });
	publisher.end();
	await call(`${BASE}:stopRecord`, { id: 'retry' });
});

test('jobs of the other dialects are listed under their app and can be stopped (not forgotten)', async () => {
	const callaba = await service.create({
		name: 'from callaba',
		dialect: 'callaba',
		key: { vhost: 'default', app: 'shared', stream: 'x' },
		streamName: 'x',
		format: 'ts',
		filePath: `cb/\${Sequence}.ts`,
		segmentationRule: 'discontinuity',
		active: true,
	});
	const listed = await call('/v1/vhosts/default/apps/shared:records');
	assert.is(listed.json.response?.[0]?.['id'], callaba.id);
	assert.is(listed.json.response?.[0]?.['filePath'], `cb/\${Sequence}.ts`);
	assert.is((await call('/v1/vhosts/default/apps/shared:stopRecord', { id: callaba.id })).status, 200);
	assert.is(service.get(callaba.id).active, false, 'stopped, still known to its own dialect');
	await service.remove(callaba.id);
});

test('the OpenAPI document covers all three dialects; the docs page renders it offline, without auth', async () => {
	const doc = (await (await app.request('/api/openapi.json')).json()) as {
		paths: Record<string, object>;
		components: { securitySchemes: Record<string, unknown> };
	};
	for (const verb of ['startRecord', 'stopRecord', 'records']) {
		assert.ok(`/v1/vhosts/{vhost}/apps/{app}:${verb}` in doc.paths, verb);
	}
	assert.ok('get' in (doc.paths['/v1/vhosts/{vhost}/apps/{app}:records'] ?? {}));
	assert.ok('/v1/{project_id}/record/control' in doc.paths);
	assert.ok('/api/recording/create' in doc.paths);
	assert.equal(Object.keys(doc.components.securitySchemes).sort(), ['accessToken', 'huaweiToken', 'omeBasic']);

	const page = await app.request('/api/docs');
	assert.is(page.status, 200);
	assert.match(page.headers.get('content-type') ?? '', 'text/html');
	const html = await page.text();
	assert.match(html, '"/api/openapi.json"');
	assert.not.match(html, /(src|href)=["']?(https?:)?\/\//, 'nothing loaded from elsewhere');
	assert.not.match(html, /https?:\/\//);
	assert.match(page.headers.get('content-security-policy') ?? '', "default-src 'none'");
});

test.after(async () => {
	await service.shutdown();
	store.close();
});

test.run();
