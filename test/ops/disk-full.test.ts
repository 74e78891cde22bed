/**
 * A full disk, for real: the data folder on a small tmpfs filled to its last byte by another file.
 * The API must name the full disk, the server must start again on it, and nothing may be lost silently.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { makeService } from '../api/service-kit.ts';
import { fillDisk, mountSmallDisk } from '../helpers/small-disk.ts';
import { test } from '../helpers/suite.ts';

const MiB = 1024 * 1024;
const SECRET = 'disk-full-test-secret-0123456789abcdef';

const create = async (app: ReturnType<typeof createApp>, name: string) => {
	const response = await app.request('/api/recording/create', {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-access-token': await issueAccessJwt(SECRET, 1) },
		body: JSON.stringify({
			recording_name: name,
			recording_type: 'RECORDING_STREAM_TO_FILE',
			input: { input_type: 'INPUT_TYPE_RTMP_SOFTWARE', input_module_id: 'rtmp', input_stream_id: `live/${name}` },
			output_format: 'mp4',
			active: true,
		}),
	});
	return { status: response.status, json: (await response.json()) as { message?: string; id?: string } };
};

const disk = mountSmallDisk('disk-full', 4 * MiB);

test('create on a full disk: the API names the full disk (507), not a missing recording', async () => {
	if (!disk) return console.log('skipped: cannot mount a tmpfs');
	const kit = makeService({ data: join(disk, 'create') });
	const app = createApp({
		service: kit.service,
		recordingsRoot: kit.recordingsRoot,
		accessToken: SECRET,
		version: 'test',
	});
	const before = await create(app, 'before');
	assert.is(before.status, 200, before.json.message);
	const ballast = fillDisk(disk);
	// The journal's last page may take a few more lines: the first create the disk refuses.
	let full = await create(app, 'full');
	for (let i = 0; i < 200 && full.status === 200; i++) full = await create(app, `full${i}`);
	assert.is(full.status, 507);
	assert.match(full.json.message ?? '', /^no space left on device: /);
	rmSync(ballast);
	assert.is((await create(app, 'after')).status, 200, 'space back, jobs are created again');
	await kit.service.shutdown();
	await kit.store.close();
});

test('the server starts on a full disk: the store opens, every job is there, none blocks the start', async () => {
	if (!disk) return console.log('skipped: cannot mount a tmpfs');
	const data = join(disk, 'restart');
	const first = makeService({ data });
	const app = createApp({
		service: first.service,
		recordingsRoot: first.recordingsRoot,
		accessToken: SECRET,
		version: 'test',
	});
	for (const name of ['one', 'two', 'three']) assert.is((await create(app, name)).status, 200);
	await first.service.shutdown();
	await first.store.close();
	const ballast = fillDisk(disk);
	const second = makeService({ data });
	await second.service.init();
	assert.equal(
		second.service.list().map((job) => job.name),
		['one', 'two', 'three'],
	);
	for (const job of second.service.list()) assert.ok(job.state === 'ready' || job.state === 'error', job.state);
	await second.service.shutdown();
	await second.store.close();
	rmSync(ballast);
});

test.run();
