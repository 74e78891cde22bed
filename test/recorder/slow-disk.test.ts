/**
 * A disk slower than the stream, and a disk that fails to sync: a recording drops and counts (never
 * grows memory), its file still decodes, and a failed fdatasync puts it in `error` with the reason.
 */
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { StreamPublisher } from '../../src/core/stream-hub.ts';
import type { RecordingJob } from '../../src/recorder/recording-job.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { makeService, type ServiceKit } from '../api/service-kit.ts';
import { jobSettings } from '../helpers/job-settings.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { waitUntil } from '../helpers/wait.ts';

/** A file sink whose queue the test says is full (`backlog.on`), or whose next sync fails (`failSync`). */
class TroubledSink extends FileSink {
	static backlogged = false;
	static failSync = false;

	override get backlogged(): boolean {
		return TroubledSink.backlogged;
	}

	override async sync(): Promise<void> {
		if (TroubledSink.failSync) throw new TapedeckError('io', `cannot write ${this.path}: EIO: i/o error, fdatasync`);
		return super.sync();
	}
}

const startJob = async (): Promise<{ kit: ServiceKit; job: RecordingJob; publisher: StreamPublisher }> => {
	const kit = makeService({ openSink: (path) => new TroubledSink(path, { exclusive: true }), syncIntervalMs: 50 });
	const job = await kit.service.create(jobSettings('cam', { active: true }));
	return { kit, job, publisher: kit.registry.publish(job.key, 'test') };
};

/** Feeds the 10 s fixture in TS-packet batches, calling `at(fraction)` as it goes. */
const feed = async (publisher: StreamPublisher, at: (fraction: number) => void): Promise<void> => {
	const demuxer = createDemuxer('ts', publisher);
	const bytes = readFileSync(fixture('h264-aac48-10s'));
	for (let i = 0; i < bytes.length; i += 188 * 20) {
		at(i / bytes.length);
		demuxer.push(bytes.subarray(i, i + 188 * 20));
		await new Promise((resolve) => setImmediate(resolve));
	}
	demuxer.end();
};

test('a disk behind the stream: packets dropped and counted until it catches up and a keyframe comes; the file decodes', async () => {
	const { kit, job, publisher } = await startJob();
	await feed(publisher, (fraction) => {
		TroubledSink.backlogged = fraction > 0.3 && fraction < 0.5;
	});
	const stats = kit.service.stats(job.id);
	await kit.service.stop(job.id);
	assert.ok(stats.droppedPackets > 50, `${stats.droppedPackets} packets dropped`);
	const warning = stats.warnings?.recent.find((w) => w.code === 'dropped_data');
	assert.match(
		warning?.message ?? '',
		/^\d+ packets \(\d+ bytes\) dropped: the disk took the data more slowly than it came$/,
	);
	const [file] = kit.service.files(job.id);
	assert.is(file!.state, 'complete');
	assert.is(await ffprobeErrors(file!.path), '');
	assert.is(await decodeErrors(file!.path), '', 'writing resumed on a keyframe: every frame decodes');
});

test('a failed fdatasync puts the recording in error with the reason; what was written is kept', async () => {
	TroubledSink.backlogged = false;
	const { kit, job, publisher } = await startJob();
	await feed(publisher, (fraction) => {
		TroubledSink.failSync = fraction > 0.5;
	});
	await waitUntil('the job in error', () => kit.service.get(job.id).state === 'error', 10_000);
	assert.match(kit.service.get(job.id).reason, /EIO: i\/o error, fdatasync/);
	TroubledSink.failSync = false;
	await kit.service.stop(job.id);
	const [file] = kit.service.files(job.id);
	assert.ok(file!.state === 'complete' || file!.state === 'recovered', file!.state);
	assert.is(await ffprobeErrors(file!.path), '');
});

test.run();
