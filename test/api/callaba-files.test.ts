/**
 * Callaba recordings and their files: `output_format: "fmp4"` keeps the fragmented MP4 (as `remux`
 * writes it), and a job with 10,000 files restarts fast from a small journal and pages its file list.
 */
import { readFileSync, statSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { ffprobeErrors } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { waitFor } from '../helpers/wait.ts';
import { makeService, type ServiceKit } from './service-kit.ts';

const SECRET = 'files-secret';
const jwt = await issueAccessJwt(SECRET, 1);

const callaba = (kit: ServiceKit) => {
	const app = createApp({
		service: kit.service,
		recordingsRoot: kit.recordingsRoot,
		accessToken: SECRET,
		version: 't',
	});
	return async (op: string, body: unknown) => {
		const response = await app.request(`/api/recording/${op}`, {
			method: 'POST',
			headers: { 'x-access-token': jwt },
			body: JSON.stringify(body),
		});
		return { status: response.status, json: (await response.json()) as Record<string, unknown> };
	};
};

const settings = (name: string, stream: string, format: string, active: boolean) => ({
	recording_name: name,
	recording_type: 'RECORDING_STREAM_TO_FILE',
	input: { input_type: 'INPUT_TYPE_RTMP_SOFTWARE', input_module_id: 'rtmp', input_stream_id: stream },
	output_format: format,
	active,
});

/** The top-level box types of an ISO BMFF file. */
const topBoxes = (path: string): string[] => {
	const bytes = readFileSync(path);
	const boxes: string[] = [];
	for (let at = 0; at + 8 <= bytes.length; ) {
		const size = bytes.readUInt32BE(at);
		boxes.push(bytes.toString('latin1', at + 4, at + 8));
		if (size < 8) break;
		at += size;
	}
	return boxes;
};

test('output_format "fmp4": the file stays fragmented (moof/mdat), plays, and is named .mp4', async () => {
	const kit = makeService({ syncIntervalMs: 50 });
	const call = callaba(kit);
	const created = await call('create', settings('fragmented', 'live/frag', 'fmp4', true));
	assert.is(created.status, 200, JSON.stringify(created.json));
	const id = created.json['id'] as string;
	const publisher = kit.registry.publish({ vhost: 'default', app: 'live', stream: 'frag' }, 'test');
	const demuxer = createDemuxer('ts', publisher);
	demuxer.push(readFileSync(fixture('h264-aac48')));
	demuxer.end();
	assert.ok(await waitFor(() => kit.service.get(id).state === 'recording', 5000));
	publisher.end();
	assert.ok(await waitFor(() => kit.service.files(id)[0]?.state === 'complete', 5000));
	const view = await call('getById', { id });
	assert.is(view.json['output_format'], 'fmp4');
	const [file] = view.json['recordedFiles'] as Array<{ path: string }>;
	assert.ok(file);
	assert.match(file.path, /\.mp4$/);
	const boxes = topBoxes(file.path);
	assert.ok(boxes.includes('moof') && boxes.includes('mdat'), boxes.join(' '));
	assert.is(boxes.indexOf('moov') < boxes.indexOf('moof'), true, 'moov (with mvex) before the fragments');
	assert.is(await ffprobeErrors(file.path), '');
	await kit.service.shutdown();
	await kit.store.close();
});

test('getStat names what the input carried that did not reach the file (warnings)', async () => {
	const kit = makeService({ syncIntervalMs: 50 });
	const call = callaba(kit);
	const id = (await call('create', settings('warned', 'live/warned', 'ts', true))).json['id'] as string;
	const publisher = kit.registry.publish({ vhost: 'default', app: 'live', stream: 'warned' }, 'test');
	const demuxer = createDemuxer('ts', publisher);
	demuxer.push(readFileSync(fixture('h264-aac48')));
	assert.ok(await waitFor(() => kit.service.get(id).state === 'recording', 5000));
	publisher.warn?.({ code: 'unsupported_stream', message: 'PID 0x102: stream type 0x06 not carried' });
	// Warnings travel with the packets: they reach the recording at its next drain.
	assert.ok(await waitFor(() => (kit.service.stats(id).warnings?.total ?? 0) > 0, 5000));
	const stats = (await call('getStat', {})).json as unknown as Array<{ id: string; warnings: unknown }>;
	const stat = stats.find((s) => s.id === id) as { warnings: { recent: Array<{ last_at: string }> } } | undefined;
	assert.equal(stat?.warnings, {
		total: 1,
		by_code: { unsupported_stream: 1 },
		recent: [
			{
				code: 'unsupported_stream',
				message: 'PID 0x102: stream type 0x06 not carried',
				count: 1,
				last_at: stat?.warnings.recent[0]?.last_at,
			},
		],
	});
	demuxer.end();
	publisher.end();
	await kit.service.shutdown();
	await kit.store.close();
});

test('10,000 files on one job: the journal stays small, the restart takes well under 5 s, getById pages the list', async () => {
	const first = makeService();
	const call = callaba(first);
	const created = await call('create', settings('long', 'live/long', 'ts', false));
	const id = created.json['id'] as string;
	// The files a recording splitting every frame reports: opened, then finished, one by one.
	for (let sequence = 0; sequence < 10_000; sequence++) {
		const file = {
			id: `file-${sequence}`,
			sequence,
			path: `${first.recordingsRoot}/${id}/long_${sequence}.ts`,
			partPath: `${first.recordingsRoot}/${id}/long_${sequence}.ts.part`,
			state: 'writing' as 'writing' | 'complete',
			bytes: 0,
			durationMs: 0,
			startedAt: new Date(sequence * 40).toISOString(),
		};
		first.store.putItem(id, file);
		first.store.putItem(id, { ...file, state: 'complete', bytes: 188 * 10, durationMs: 40 });
		if (sequence % 500 === 499) await first.store.synced();
	}
	await first.service.shutdown();
	await first.store.close();
	// The live state is about 350 bytes a file; the journal is compacted before it doubles.
	const journalBytes = statSync(first.storePath).size;
	const { live } = first.store.size;
	assert.ok(journalBytes <= 2 * live + 64 * 1024, `journal ${journalBytes} bytes for ${live} bytes of live state`);
	assert.ok(journalBytes < 8 * 1024 * 1024, `journal ${journalBytes} bytes`);

	const started = performance.now();
	const second = makeService({ data: first.data });
	await second.service.init();
	const elapsed = performance.now() - started;
	assert.ok(elapsed < 5000, `restart took ${elapsed} ms`);
	const again = callaba(second);
	const page = await again('getById', { id, files_offset: 9990, files_limit: 20 });
	assert.is(page.status, 200);
	const files = page.json['recordedFiles'] as Array<{ sequence: number; state: string }>;
	assert.equal(
		files.map((f) => f.sequence),
		[9990, 9991, 9992, 9993, 9994, 9995, 9996, 9997, 9998, 9999],
	);
	assert.is(page.json['recorded_files_total'], 10_000);
	const whole = await again('getById', { id });
	assert.is((whole.json['recordedFiles'] as unknown[]).length, 10_000, 'without paging, the seed shape: every file');
	assert.not.ok('recorded_files_total' in whole.json);
	await second.service.shutdown();
	await second.store.close();
});

test.run();
