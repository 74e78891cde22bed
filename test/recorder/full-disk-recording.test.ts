/**
 * A recording that fills its disk, for real (a small tmpfs): the job goes to `error` saying the disk
 * is full, and the MP4 it kept plays cleanly to its last complete fragment even though there was no
 * room left to rebuild it as a progressive file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { statfsFreeBytes } from '../../src/ops/retention/retention.ts';
import { makeService } from '../api/service-kit.ts';
import { jobSettings } from '../helpers/job-settings.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import { mountSmallDisk } from '../helpers/small-disk.ts';
import { test } from '../helpers/suite.ts';
import { waitUntil } from '../helpers/wait.ts';

const KiB = 1024;
const disk = mountSmallDisk('full-recording', 2 * 1024 * KiB);

test('disk full mid-recording: error with the reason, the MP4 kept ends at its last complete fragment', async () => {
	if (!disk) return console.log('skipped: cannot mount a tmpfs');
	const kit = makeService({ data: join(disk, 'data') });
	const job = await kit.service.create(jobSettings('cam', { format: 'mp4', active: true }));
	// 10 s of media is about 570 kB: room for about half of it, and none for the progressive copy.
	writeFileSync(join(disk, 'ballast'), Buffer.alloc((await statfsFreeBytes(disk)) - 300 * KiB));
	const demuxer = createDemuxer('ts', kit.registry.publish(job.key, 'test'));
	const bytes = readFileSync(fixture('h264-aac48-10s'));
	for (let i = 0; i < bytes.length && kit.service.get(job.id).state !== 'error'; i += 188 * 20) {
		demuxer.push(bytes.subarray(i, i + 188 * 20));
		await new Promise((resolve) => setImmediate(resolve));
	}
	await waitUntil('the job in error', () => kit.service.get(job.id).state === 'error', 10_000);
	assert.match(kit.service.get(job.id).reason, /^no space left on device: /);
	await waitUntil('the file kept', () => kit.service.files(job.id)[0]?.state === 'recovered', 10_000);
	const [file] = kit.service.files(job.id);
	assert.ok(file!.bytes > 100 * KiB, `${file!.bytes} bytes kept`);
	assert.is(await ffprobeErrors(file!.path), '', 'ffprobe -v error is silent');
	assert.is(await decodeErrors(file!.path), '', 'every frame decodes');
	await kit.service.shutdown();
	await kit.store.close();
});

test.run();
