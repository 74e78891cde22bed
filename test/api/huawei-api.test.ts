/**
 * The Huawei Cloud Live dialect's contract through `app.request()`: X-Auth-Token, X-request-id on
 * every answer, `{error_code, error_msg}` errors, START only while pushed, STOP of nothing is 404,
 * no START within 10 s of a STOP, a long interruption ends the recording, and the cross-dialect view.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { type AppOptions, createApp } from '../../src/api/app.ts';
import type { Clock } from '../../src/api/huawei/interruption-watch.ts';
import type { StreamPublisher } from '../../src/core/stream-hub.ts';
import { ffprobeErrors } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { sleep, waitFor } from '../helpers/wait.ts';
import { makeService } from './service-kit.ts';

const TOKEN = 'huawei-token';
const { registry, store, service, recordingsRoot } = makeService({ syncIntervalMs: 50 });
const makeApp = (huawei: AppOptions['huawei'] = {}) =>
	createApp({ service, recordingsRoot, accessToken: TOKEN, version: 'test', huawei });
const app = makeApp();

const REQUEST_ID = /^[0-9a-f]{32}-\d{13}-.+$/;
const CONTROL = '/v1/0123456789abcdef/record/control';
const target = (stream: string) => ({ publish_domain: 'publish.example.com', app: 'live', stream });

type Answer = { status: number; json: Record<string, unknown>; requestId: string | null };

const call = async (
	action: string | undefined,
	body: unknown,
	options: { token?: string | null; path?: string; on?: typeof app; raw?: string } = {},
): Promise<Answer> => {
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	if (options.token !== null) headers['x-auth-token'] = options.token ?? TOKEN;
	const query = action === undefined ? '' : `?action=${action}`;
	const response = await (options.on ?? app).request(`${options.path ?? CONTROL}${query}`, {
		method: 'POST',
		headers,
		body: options.raw ?? JSON.stringify(body),
	});
	return {
		status: response.status,
		json: (await response.json()) as Record<string, unknown>,
		requestId: response.headers.get('x-request-id'),
	};
};

const feed = (publisher: StreamPublisher, file: string): void => {
	const demuxer = createDemuxer('ts', publisher);
	const bytes = readFileSync(file);
	for (let i = 0; i < bytes.length; i += 65_536) demuxer.push(bytes.subarray(i, i + 65_536));
	demuxer.end();
};

const publish = (stream: string): StreamPublisher => {
	const publisher = registry.publish({ vhost: 'default', app: 'live', stream }, 'test');
	feed(publisher, fixture('h264-aac48'));
	return publisher;
};

const job = (stream: string) => service.findByName(`publish.example.com/live/${stream}`, 'huawei');

const assertError = (answer: Answer, status: number, message: string | RegExp) => {
	assert.is(answer.status, status, JSON.stringify(answer.json));
	assert.equal(Object.keys(answer.json), ['error_code', 'error_msg']);
	assert.match(answer.json['error_msg'] as string, message);
	assert.match(answer.requestId ?? '', REQUEST_ID);
};

/** A clock the test moves: timers fire when it is advanced past them. */
class ManualClock implements Clock {
	#now = 1_000_000;
	readonly #timers = new Set<{ at: number; fire: () => void }>();
	now(): number {
		return this.#now;
	}
	setTimer(ms: number, fire: () => void): () => void {
		const timer = { at: this.#now + ms, fire };
		this.#timers.add(timer);
		return () => this.#timers.delete(timer);
	}
	get pending(): number {
		return this.#timers.size;
	}
	advance(ms: number): void {
		this.#now += ms;
		for (const timer of [...this.#timers]) {
			if (timer.at > this.#now) continue;
			this.#timers.delete(timer);
			timer.fire();
		}
	}
}

test('401 without or with a wrong X-Auth-Token, on the route and beside it; X-request-id on each', async () => {
	for (const token of [null, 'wrong', `Bearer ${TOKEN}`, '']) {
		for (const path of [CONTROL, '/v1/p/record/rules', '/v1/p/record/indexes']) {
			const answer = await call('START', target('a'), { token, path });
			assertError(answer, 401, 'Incorrect IAM authentication information');
			assert.is(answer.json['error_code'], 'APIGW.0301');
		}
	}
	const unknown = await call(undefined, {}, { path: '/v1/p/record/rules' });
	assertError(unknown, 404, 'The API does not exist');
});

test('400 Request Illegal: bad or missing action, body fields, JSON, domain', async () => {
	assertError(await call(undefined, target('a')), 400, /^Request Illegal: action must be START or STOP/);
	assertError(await call('PAUSE', target('a')), 400, 'got "PAUSE"');
	assertError(await call('start', target('a')), 400, 'START or STOP');
	const missing = await call('START', {});
	assertError(missing, 400, 'publish_domain');
	assert.match(missing.json['error_msg'] as string, 'app');
	assert.match(missing.json['error_msg'] as string, 'stream');
	assert.is(missing.json['error_code'], 'LIVE.100011001');
	assertError(await call('START', undefined, { raw: '{nope' }), 400, 'must be JSON');
	assertError(
		await call('STOP', { ...target('a'), publish_domain: '../etc' }),
		400,
		'publish_domain: must be a domain name',
	);
});

test('START of a stream not being pushed is 400; STOP of no recording is 404 as the seed shows', async () => {
	assertError(await call('START', target('idle')), 400, 'Request Illegal: stream live/idle is not being pushed');
	const stop = await call('STOP', target('idle'));
	assertError(stop, 404, /^The resource to access is not exists/);
	assert.is(stop.json['error_code'], 'LIVE.100011001');
	assert.is(job('idle'), undefined);
});

test('START records the pushed stream, is idempotent, and shows through the OME dialect; STOP yields a playable file', async () => {
	const publisher = publish('cam');
	const started = await call('START', target('cam'));
	assert.is(started.status, 200);
	assert.equal(started.json, {});
	assert.match(started.requestId ?? '', REQUEST_ID);
	assert.is((await call('START', target('cam'))).status, 200, 'a second START changes nothing');
	assert.is(service.list('huawei').length, 1);
	const recording = job('cam');
	assert.ok(recording);
	assert.equal(recording.key, { vhost: 'default', app: 'live', stream: 'cam' });

	const ome = await app.request('/v1/vhosts/default/apps/live:records', {
		headers: { authorization: `Basic ${Buffer.from(TOKEN).toString('base64')}` },
	});
	const listed = (await ome.json()) as { response: Array<{ id: string; stream: { name: string } }> };
	assert.equal(
		listed.response.map((r) => [r.id, r.stream.name]),
		[[recording.id, 'cam']],
	);

	// The bus delivers from a scheduled drain: let the cached GOP reach the file before the push ends.
	assert.ok(await waitFor(() => service.stats(recording.id).packets > 0, 5000), 'packets reach the recording');
	publisher.end();
	const stopped = await call('STOP', target('cam'));
	assert.is(stopped.status, 200);
	assert.match(stopped.requestId ?? '', REQUEST_ID);
	const [file] = service.files(recording.id);
	assert.ok(file && existsSync(file.path), JSON.stringify(file));
	assert.match(file.path, /Record\/publish\.example\.com\/live\/cam\/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d_0\.mp4$/);
	assert.is(await ffprobeErrors(file.path), '');
	assertError(await call('STOP', target('cam')), 404, 'not exists');
});

test('a START less than 10 s after the STOP of the same stream is refused; after the delay it resumes the job', async () => {
	const clock = new ManualClock();
	const quick = makeApp({ restartDelayMs: 300, clock });
	const publisher = publish('again');
	assert.is((await call('START', target('again'), { on: quick })).status, 200);
	assert.is((await call('STOP', target('again'), { on: quick })).status, 200);
	assertError(await call('START', target('again'), { on: quick }), 400, 'at least 0.3 s after the STOP');
	assert.is((await call('START', target('other'), { on: quick })).status, 400, 'other streams are not held back');
	clock.advance(300);
	assert.is((await call('START', target('again'), { on: quick })).status, 200);
	assert.is(service.list('huawei').filter((j) => j.name.endsWith('/again')).length, 1, 'the same job resumed');
	assert.is(job('again')?.active, true);
	publisher.end();
	assert.is((await call('STOP', target('again'), { on: quick })).status, 200);

	const standard = await call('START', target('cam'));
	assert.is(standard.status, 400, 'nothing pushed');
	const strict = makeApp();
	const live = publish('ten');
	await call('START', target('ten'), { on: strict });
	await call('STOP', target('ten'), { on: strict });
	assertError(await call('START', target('ten'), { on: strict }), 400, 'at least 10 s after the STOP');
	live.end();
});

test('an interruption longer than the limit stops the recording for good; a shorter one does not (no polling)', async () => {
	const clock = new ManualClock();
	const watched = makeApp({ interruptionMs: 30_000, clock });
	const publisher = publish('flaky');
	assert.is((await call('START', target('flaky'), { on: watched })).status, 200);
	assert.ok(await waitFor(() => job('flaky')?.state === 'recording', 5000));
	assert.is(clock.pending, 0, 'no timer while the push lasts');
	publisher.end();
	assert.ok(await waitFor(() => clock.pending === 1, 5000), 'the push ending starts the interruption timer');
	clock.advance(20_000);
	const back = publish('flaky');
	assert.ok(await waitFor(() => job('flaky')?.state === 'recording', 5000));
	assert.is(clock.pending, 0, 'the push coming back cancels it');
	clock.advance(20_000);
	assert.is(job('flaky')?.active, true, 'an interruption of 20 s is within the limit');
	back.end();
	assert.ok(await waitFor(() => clock.pending === 1, 5000));
	clock.advance(30_000);
	assert.ok(await waitFor(() => job('flaky')?.active === false, 5000), 'stopped after 30 s without the push');
	publish('flaky').end();
	await sleep(100);
	assert.is(job('flaky')?.active, false, 'not restarted when the push resumes');
	assertError(await call('STOP', target('flaky'), { on: watched }), 404, 'not exists');
});

test('the seed example, sent as it is: START of publish.example.com/live/mystream while pushed, then STOP', async () => {
	const publisher = publish('mystream');
	const body = '{\n  "publish_domain" : "publish.example.com",\n  "app" : "live",\n  "stream" : "mystream"\n}';
	const started = await call('START', undefined, { raw: body });
	assert.is(started.status, 200, JSON.stringify(started.json));
	assert.equal(started.json, {});
	publisher.end();
	const stopped = await call('STOP', undefined, { raw: body });
	assert.is(stopped.status, 200, JSON.stringify(stopped.json));
	assert.equal(stopped.json, {});
});

test('the OpenAPI document covers the Huawei endpoint', async () => {
	const doc = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, object> };
	assert.ok('post' in (doc.paths['/v1/{project_id}/record/control'] ?? {}));
});

test.after(async () => {
	await service.shutdown();
	store.close();
});

test.run();
