/**
 * Retention on a real (small) disk: a 20 MiB tmpfs holds the recordings, so the free-space floor is
 * the kernel's statfs answer, not a simulation. Each rule must delete exactly the files it names,
 * oldest first, never one being written, through the service (file list, `file.deleted` event, log).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { OPERATIONS_DEFAULTS, type RetentionConfig } from '../../src/config/operations-config.ts';
import { Retention, statfsFreeBytes } from '../../src/ops/retention/retention.ts';
import type { RecorderEvent } from '../../src/recorder/recorder-events.ts';
import type { RecordedFile } from '../../src/recorder/recording.ts';
import type { JobStore, RecordingJob } from '../../src/recorder/recording-job.ts';
import { RecordingService } from '../../src/recorder/recording-service.ts';
import { openJobStore } from '../api/service-kit.ts';
import { jobSettings } from '../helpers/job-settings.ts';
import { MemoryLogger } from '../helpers/memory-logger.ts';
import { mountSmallDisk } from '../helpers/small-disk.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { waitUntil } from '../helpers/wait.ts';

const MiB = 1024 * 1024;
const DISK_BYTES = 20 * MiB;
const NOW = Date.parse('2026-01-01T12:00:00Z');
const minutes = (n: number) => n * 60_000;

const small = mountSmallDisk('retention-disk', DISK_BYTES);
const mounted = small !== undefined;
// Not root: the floor is measured as the tmpfs would report it (capacity minus what the folder holds).
const disk = small ?? tempDir('retention-disk');

/** statfs on the tmpfs; without one, the same figure from the folder's contents. */
const freeBytes = (path: string): Promise<number> =>
	mounted ? statfsFreeBytes(path) : Promise.resolve(DISK_BYTES - usedBytes(path));

const usedBytes = (dir: string): number =>
	readdirSync(dir, { withFileTypes: true }).reduce((total, entry) => {
		const path = join(dir, entry.name);
		return total + (entry.isDirectory() ? usedBytes(path) : statSync(path).size);
	}, 0);

type Kit = {
	root: string;
	store: JobStore;
	service: RecordingService;
	events: RecorderEvent[];
	logger: MemoryLogger;
	retention: (config: Partial<RetentionConfig>) => Retention;
};

let kits = 0;

const makeKit = (registry = new StreamRegistry()): Kit => {
	const root = join(disk, `kit${kits++}`);
	mkdirSync(root);
	const store = openJobStore(join(tempDir('retention-store'), 'recordings.jsonl'));
	const service = new RecordingService({ registry, store, recordingsRoot: root, listenHost: '127.0.0.1' });
	const events: RecorderEvent[] = [];
	service.events.on((event) => events.push(event));
	const logger = new MemoryLogger();
	const retention = (config: Partial<RetentionConfig>) =>
		new Retention({
			service,
			config: { ...OPERATIONS_DEFAULTS.retention, minFreeBytes: 0, ...config },
			recordingsRoot: root,
			logger,
			freeBytes,
			now: () => NOW,
		});
	return { root, store, service, events, logger, retention };
};

const createJob = (kit: Kit, name: string, active = false): Promise<RecordingJob> =>
	kit.service.create(jobSettings(name, { active }));

/** A file of `bytes` on disk, listed in the job as finished `endedAgoMs` before NOW (or still `writing`). */
const addFile = (kit: Kit, job: RecordingJob, sequence: number, bytes: number, endedAgoMs?: number): RecordedFile => {
	const path = join(kit.root, job.name, `${job.name}_${sequence}.ts`);
	mkdirSync(join(kit.root, job.name), { recursive: true });
	const writing = endedAgoMs === undefined;
	writeFileSync(writing ? `${path}.part` : path, Buffer.alloc(bytes, 0x47));
	const file: RecordedFile = {
		id: `${job.name}-${sequence}`,
		sequence,
		path,
		partPath: `${path}.part`,
		state: writing ? 'writing' : 'complete',
		bytes,
		durationMs: 1000,
		startedAt: new Date(NOW - (endedAgoMs ?? 0) - minutes(600)).toISOString(),
		...(writing ? {} : { endedAt: new Date(NOW - endedAgoMs).toISOString() }),
	};
	// Into the store the service reads, as a run would have left it.
	kit.store.putItem(job.id, file);
	return file;
};

/** Which of `files` are still on disk and in their job's list, by id. */
const left = (kit: Kit, files: readonly RecordedFile[]): string[] =>
	files
		.filter((file) => {
			const listed = kit.service.list().some((job) => kit.service.files(job.id).some((f) => f.id === file.id));
			const onDisk = existsSync(file.state === 'writing' ? file.partPath : file.path);
			assert.is(listed, onDisk, `${file.id}: listed ${listed}, on disk ${onDisk}`);
			return listed;
		})
		.map((file) => file.id);

const deletedEvents = (kit: Kit): string[] =>
	kit.events.flatMap((event) => (event.type === 'file.deleted' ? [`${event.file.id} ${event.reason}`] : []));

test('age: the global limit and a stricter one for a job, each file judged by when it ended', async () => {
	const kit = makeKit();
	const a = await createJob(kit, 'a');
	const b = await createJob(kit, 'b');
	const c = await createJob(kit, 'c');
	const files = [
		addFile(kit, a, 0, 1000, minutes(120)),
		addFile(kit, a, 1, 1000, minutes(30)),
		addFile(kit, a, 2, 1000, minutes(5)),
		addFile(kit, b, 0, 1000, minutes(120)),
		addFile(kit, b, 1, 1000, minutes(30)),
		addFile(kit, b, 2, 1000, minutes(5)),
		addFile(kit, b, 3, 1000),
		addFile(kit, c, 0, 1000, minutes(90)),
	];
	const retention = kit.retention({ maxAgeMs: minutes(60), jobs: { b: { maxAgeMs: minutes(10) } } });
	await retention.check();
	assert.equal(left(kit, files), ['a-1', 'a-2', 'b-2', 'b-3']);
	assert.equal(deletedEvents(kit), [
		'a-0 retention: maxAgeMs',
		'b-0 retention: job "b" maxAgeMs',
		'c-0 retention: maxAgeMs',
		'b-1 retention: job "b" maxAgeMs',
	]);
	assert.not.ok(existsSync(join(kit.root, 'c')), "the folder of c's last file went with it");
	assert.ok(existsSync(kit.root));
	const logged = kit.logger.events('retention.deleted');
	assert.equal(
		logged.map((fields) => [fields['path'], fields['bytes'], fields['rule']]),
		[
			[files[0]!.path, 1000, 'maxAgeMs'],
			[files[3]!.path, 1000, 'job "b" maxAgeMs'],
			[files[7]!.path, 1000, 'maxAgeMs'],
			[files[4]!.path, 1000, 'job "b" maxAgeMs'],
		],
	);
});

test("size: a job's own total, then the global total, oldest first; an open file counts but stays", async () => {
	const kit = makeKit();
	const a = await createJob(kit, 'a');
	const b = await createJob(kit, 'b');
	const k = 100_000;
	const files = [
		addFile(kit, a, 0, k, minutes(70)),
		addFile(kit, b, 0, k, minutes(65)),
		addFile(kit, a, 1, k, minutes(60)),
		addFile(kit, b, 1, k, minutes(55)),
		addFile(kit, a, 2, k, minutes(50)),
		addFile(kit, b, 2, k, minutes(45)),
		addFile(kit, a, 3, k, minutes(40)),
		// Started before all of them, still being written: never deleted, but its bytes are on the disk.
		addFile(kit, b, 3, k / 2),
	];
	await kit.retention({ maxTotalBytes: 4 * k, jobs: { a: { maxTotalBytes: 2.5 * k } } }).check();
	// a: 4 files > 250 kB → a-0, a-1 go. All: 2 of a + 3 of b + the open half = 550 kB > 400 kB → b-0, b-1 go.
	assert.equal(left(kit, files), ['a-2', 'b-2', 'a-3', 'b-3']);
	assert.equal(deletedEvents(kit), [
		'a-0 retention: job "a" maxTotalBytes',
		'a-1 retention: job "a" maxTotalBytes',
		'b-0 retention: maxTotalBytes',
		'b-1 retention: maxTotalBytes',
	]);
});

test('free-space floor: the oldest files go until the disk has its floor free, and no more', async () => {
	const kit = makeKit();
	const a = await createJob(kit, 'a');
	const files = [0, 1, 2, 3, 4, 5].map((sequence) => addFile(kit, a, sequence, 2 * MiB, minutes(60 - sequence)));
	const free = await freeBytes(kit.root);
	// Two files' worth short of the floor, plus a little: exactly three must go.
	const floor = free + 2 * 2 * MiB + MiB / 2;
	await kit.retention({ minFreeBytes: floor }).check();
	assert.equal(left(kit, files), ['a-3', 'a-4', 'a-5']);
	assert.ok((await freeBytes(kit.root)) >= floor);
	assert.equal(
		kit.logger.events('retention.deleted').map((fields) => fields['rule']),
		['minFreeBytes', 'minFreeBytes', 'minFreeBytes'],
	);
	rmSync(kit.root, { recursive: true });
});

test('a floor that cannot be met: recordings stop with their files finalized, and start again when space returns', async () => {
	const registry = new StreamRegistry();
	const kit = makeKit(registry);
	const job = await createJob(kit, 'live', true);
	const demuxer = createDemuxer('ts', registry.publish(job.key, 'test'));
	demuxer.push(readFileSync(fixture('h264-aac48')));
	const writing = () => kit.service.files(job.id).find((file) => file.state === 'writing');
	await waitUntil('a file being written', () => writing() !== undefined, 10_000);
	const open = writing()!;
	// Another program fills the disk: the open file cannot be deleted (a file the recording finished
	// already, if it split on a burst, can and goes first), and once its stop finalized it, it is kept.
	const ballast = join(disk, 'ballast');
	const free = await freeBytes(kit.root);
	writeFileSync(ballast, Buffer.alloc(free - 2 * MiB));
	const retention = kit.retention({ minFreeBytes: 4 * MiB, checkIntervalMs: 100 });
	retention.start();
	await waitUntil('stopped for want of space', () => kit.service.get(job.id).state === 'error', 10_000);
	assert.match(kit.service.get(job.id).reason, /^disk full: \d+\.\d MiB free, floor 4\.0 MiB$/);
	// The stop's finalized file triggers a pass of its own (the floor may delete it): let it finish.
	await retention.check();
	const deleted = kit.events.flatMap((event) => (event.type === 'file.deleted' ? [event.file] : []));
	const file = kit.service.files(job.id).find((f) => f.id === open.id);
	assert.ok(file && (file.state === 'complete' || file.state === 'recovered'), `finalized: ${file?.state}`);
	assert.equal(
		kit.service.files(job.id).filter((f) => !existsSync(f.path)),
		[],
		'every listed file is on disk',
	);
	assert.is(kit.service.get(job.id).active, true);
	rmSync(ballast);
	await waitUntil('recording again', () => kit.service.get(job.id).state === 'recording', 10_000);
	assert.is(kit.logger.events('retention.resumed').length, 1);
	await retention.stop();
	await kit.service.shutdown();
	assert.is(kit.events.filter((event) => event.type === 'file.deleted').length, deleted.length, 'nothing more deleted');
});

test.run();
