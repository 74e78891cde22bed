/**
 * Webhooks from a real recording: a receiver that is down while files complete, and comes back,
 * gets every `file.completed` — also across a server restart in the middle of delivering — and
 * exactly once by event id (one id per file, however often it was retried); a file repaired after a
 * crash is announced at the next start; every signature checks
 * with the README's lines; a body carries the file's details and never a stream password; the
 * program configured for completed files runs with the file's details in its environment.
 */
import { chmodSync, copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../../fixtures/fixtures.ts';
import { createDemuxer } from '../../../ingest/demux/create-demuxer.ts';
import { OPERATIONS_DEFAULTS, type WebhooksConfig } from '../../../src/config/operations-config.ts';
import { openWebhookOutbox } from '../../../src/ops/webhooks/webhook-outbox.ts';
import { Webhooks } from '../../../src/ops/webhooks/webhooks.ts';
import type { RecorderEvent } from '../../../src/recorder/recorder-events.ts';
import { makeService, type ServiceKit } from '../../api/service-kit.ts';
import { jobSettings } from '../../helpers/job-settings.ts';
import { MemoryLogger } from '../../helpers/memory-logger.ts';
import { freePort } from '../../helpers/ports.ts';
import { test } from '../../helpers/suite.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

const SECRET = 'receiver-secret';

/** What a failed test leaves running is stopped at the end (a listening receiver would keep the process alive). */
const cleanups: Array<() => Promise<void>> = [];
test.after(async () => {
	for (const cleanup of cleanups) await cleanup().catch(() => {});
});

const newReceiver = (): WebhookReceiver => {
	const receiver = new WebhookReceiver(SECRET);
	cleanups.push(() => receiver.down());
	return receiver;
};

/** Compressed back-off: the receiver's downtime of seconds stands in for minutes. */
const configFor = (url: string, change: Partial<WebhooksConfig> = {}): WebhooksConfig => ({
	...OPERATIONS_DEFAULTS.webhooks,
	endpoints: [{ url, secret: SECRET }],
	retryInitialMs: 20,
	retryMaxMs: 200,
	timeoutMs: 2000,
	...change,
});

/** The service and its webhooks, started as `serve` starts them (webhooks listen before the service's start-up). */
const startServer = async (data: string, config: WebhooksConfig) => {
	const kit = makeService({ data, syncIntervalMs: 50 });
	const logger = new MemoryLogger();
	const webhooks = new Webhooks({ config, dataDir: data, recordingsRoot: kit.recordingsRoot, logger });
	webhooks.start(kit.service.events);
	await kit.service.init();
	let stopped: Promise<void> | undefined;
	const stop = (graceMs: number): Promise<void> => {
		stopped ??= (async () => {
			await kit.service.shutdown();
			await webhooks.stop(graceMs);
			await kit.store.close();
		})();
		return stopped;
	};
	cleanups.push(() => stop(0));
	return { kit, webhooks, logger, stop };
};

/** Records 4 s of H.264/AAC split every second into a new job; resolves once its files are complete. */
const record = async (kit: ServiceKit, name: string): Promise<void> => {
	const completed: RecorderEvent[] = [];
	const off = kit.service.events.on((event) => {
		if (event.type === 'file.completed' && event.job.name === name) completed.push(event);
	});
	const key = { vhost: 'default', app: 'live', stream: name };
	const job = await kit.service.create(jobSettings(name, { format: 'mp4', split: { intervalMs: 1000 }, active: true }));
	const publisher = kit.registry.publish(key, 'test');
	const demuxer = createDemuxer('ts', publisher);
	demuxer.push(readFileSync(fixture('h264-aac48')));
	demuxer.end();
	publisher.end();
	await waitUntil(
		`files of ${name} complete`,
		() => completed.length >= 3 && kit.service.files(job.id).every((file) => file.state !== 'writing'),
		20_000,
	);
	off();
};

test('a receiver down, then back, gets every file.completed once by id, across a restart mid-delivery', async () => {
	const data = tempDir('webhooks');
	const receiver = newReceiver();
	await receiver.up();
	await receiver.down();
	const config = configFor(receiver.url);

	// The receiver is down while the first job's files complete: they wait in the outbox.
	const first = await startServer(data, config);
	await record(first.kit, 'before');
	await waitUntil('failed attempts logged', () => first.logger.events('webhook.failed').length > 0, 5000);
	const waiting = first.webhooks.counts()[0]?.pending ?? 0;
	assert.ok(waiting >= 4, `events wait in the outbox: ${waiting}`);

	// It comes back answering slowly; the server stops after the first file.completed arrived, mid-delivery.
	receiver.answerDelayMs = 100;
	await receiver.up();
	await waitUntil('a first file.completed', () => receiver.ids('file.completed').size >= 1, 10_000);
	await first.stop(0);
	const filesBefore = first.kit.service.list().flatMap((job) => first.kit.service.files(job.id)).length;
	const deliveredBeforeRestart = receiver.ids('file.completed').size;
	const outbox = openWebhookOutbox(data);
	const kept = outbox.all().flatMap(({ id }) => outbox.items(id));
	await outbox.close();
	assert.ok(deliveredBeforeRestart < filesBefore, `stopped mid-delivery: ${deliveredBeforeRestart} of ${filesBefore}`);
	assert.ok(
		kept.filter((entry) => entry.type === 'file.completed').length >= filesBefore - deliveredBeforeRestart,
		'the undelivered file.completed events are in the outbox',
	);

	// A new server on the same data folder delivers what is left, then the files of a second job.
	receiver.answerDelayMs = 0;
	const second = await startServer(data, config);
	await record(second.kit, 'after');
	const files = second.kit.service.list().flatMap((job) => second.kit.service.files(job.id));
	assert.ok(files.length >= 6, `files recorded: ${files.length}`);
	await waitUntil(
		'every file.completed received',
		() => receiver.ids('file.completed').size >= files.length && second.webhooks.counts()[0]?.pending === 0,
		20_000,
	);
	await second.stop(2000);
	await receiver.down();

	const completed = receiver.deliveries.filter((d) => d.type === 'file.completed');
	// Each file announced under one event id, whatever the retries: the receiver's dedupe leaves one per file.
	const fileOfEvent = new Map(completed.map((d) => [d.id, (d.body['file'] as { id: string }).id]));
	assert.is(fileOfEvent.size, files.length, 'one event id per file');
	assert.equal(new Set(fileOfEvent.values()), new Set(files.map((file) => file.id)), 'the files, each once');
	for (const delivery of receiver.deliveries) {
		assert.ok(delivery.signed, `signature of ${delivery.type} ${delivery.id}`);
		assert.is(delivery.body['id'], delivery.id);
		assert.ok(Number(delivery.timestamp) > 1.7e9, 'timestamp header in seconds');
		// A redelivery is the same bytes: the same signature checks it.
		const again = receiver.deliveries.filter((d) => d.id === delivery.id);
		assert.ok(again.every((d) => d.raw === delivery.raw));
	}
	// Per endpoint order: the first job's files arrive by sequence.
	const sequences = completed
		.filter((d) => (d.body['job'] as { name: string }).name === 'before')
		.map((d) => (d.body['file'] as { sequence: number }).sequence);
	assert.equal(
		[...new Set(sequences)],
		[...new Set(sequences)].sort((a, b) => a - b),
	);

	const sample = completed.find((d) => (d.body['job'] as { name: string }).name === 'after');
	const file = sample?.body['file'] as Record<string, unknown>;
	const stored = files.find((f) => f.id === file['id']);
	assert.ok(stored);
	assert.is(file['absolutePath'], stored.path);
	assert.is(file['path'], `after/after_${stored.sequence}.mp4`);
	assert.is(join(second.kit.recordingsRoot, String(file['path'])), stored.path);
	assert.is(file['bytes'], statSync(stored.path).size);
	assert.ok(Number(file['durationMs']) > 500, `duration ${file['durationMs']}`);
	assert.equal(file['codecs'], ['h264', 'aac']);
	assert.is(file['state'], 'complete');
	assert.ok(Date.parse(String(file['endedAt'])) >= Date.parse(String(file['startedAt'])));
	assert.equal(sample?.body['job'], {
		...(sample?.body['job'] as object),
		name: 'after',
		dialect: 'callaba',
		stream: 'default/live/after',
		format: 'mp4',
	});
	assert.ok(receiver.ids('file.started').size >= files.length, 'file.started too');
	assert.ok(receiver.ids('job.state').size > 0, 'job.state too');
}, 90_000);

test('a file repaired at start-up after a crash is announced as file.completed, state recovered', async () => {
	const data = tempDir('webhooks-crash');
	const receiver = newReceiver();
	await receiver.up();
	// What a killed server leaves: the job store lists a file as being written, its .part on disk.
	const crashed = makeService({ data });
	const job = await crashed.service.create(jobSettings('crashed'));
	const path = join(crashed.recordingsRoot, 'crashed.ts');
	copyFileSync(fixture('h264-aac48'), `${path}.part`);
	crashed.store.putItem(job.id, {
		id: 'file-crashed',
		sequence: 0,
		path,
		partPath: `${path}.part`,
		state: 'writing',
		bytes: 0,
		durationMs: 0,
		startedAt: new Date().toISOString(),
		codecs: ['h264', 'aac'],
	});
	await crashed.store.close();

	const server = await startServer(data, configFor(receiver.url));
	await waitUntil('the repaired file announced', () => receiver.ids('file.completed').size === 1, 10_000);
	await server.stop(2000);
	const file = receiver.deliveries.find((d) => d.type === 'file.completed')?.body['file'] as Record<string, unknown>;
	assert.is(file['id'], 'file-crashed');
	assert.is(file['state'], 'recovered');
	assert.is(file['bytes'], statSync(path).size);
	assert.equal(file['codecs'], ['h264', 'aac']);
});

test('an endpoint gets only the events it asks for, and no stream password', async () => {
	const data = tempDir('webhooks-filter');
	const receiver = newReceiver();
	await receiver.up();
	const config: WebhooksConfig = {
		...configFor(receiver.url),
		endpoints: [{ url: receiver.url, secret: SECRET, events: ['job.state'] }],
	};
	const server = await startServer(data, config);
	const password = 'pull-secret-9f3a';
	const passphrase = 'srt-passphrase-0123';
	const job = await server.kit.service.create(
		jobSettings('guarded', {
			input: {
				protocol: 'srt',
				direction: 'listen',
				address: { host: '127.0.0.1', port: await freePort('udp') },
				credentials: { passphrase, password, user: 'alice' },
			},
			active: true,
		}),
	);
	await server.kit.service.stop(job.id);
	await waitUntil('job.state events', () => receiver.ids('job.state').size >= 2, 10_000);
	await server.stop(2000);
	await receiver.down();
	assert.equal(new Set(receiver.deliveries.map((d) => d.type)), new Set(['job.state']));
	for (const delivery of receiver.deliveries) {
		assert.not.match(delivery.raw, password);
		assert.not.match(delivery.raw, passphrase);
	}
	const job0 = receiver.deliveries[0]?.body['job'] as { input?: { credentials?: Record<string, string> } } | undefined;
	assert.equal(job0?.input?.credentials, { passphrase: '***', password: '***', user: 'alice' });
});

test('the program for completed files runs with their details in its environment; its failure is logged', async () => {
	const data = tempDir('webhooks-command');
	const out = join(data, 'env');
	const program = join(data, 'on-complete.sh');
	writeFileSync(program, `#!/bin/sh\nenv > "${out}-$TAPEDECK_FILE_SEQUENCE"\nexit 3\n`);
	chmodSync(program, 0o755);
	process.env['TAPEDECK_ACCESS_TOKEN'] = 'server-token-not-for-programs';
	const server = await startServer(data, {
		...configFor('http://unused.invalid/'),
		endpoints: [],
		onFileCompleted: program,
	});
	await record(server.kit, 'commanded');
	const files = server.kit.service.list().flatMap((job) => server.kit.service.files(job.id));
	await waitUntil(
		'a failure logged for each file',
		() => server.logger.events('webhook.command_failed').length >= files.length,
		10_000,
	);
	await server.stop(2000);
	delete process.env['TAPEDECK_ACCESS_TOKEN'];
	for (const file of files) {
		const env = Object.fromEntries(
			readFileSync(`${out}-${file.sequence}`, 'utf8')
				.split('\n')
				.filter((line) => line.includes('='))
				.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
		);
		assert.is(env['TAPEDECK_FILE_PATH'], file.path);
		assert.is(env['TAPEDECK_FILE_RELATIVE_PATH'], `commanded/commanded_${file.sequence}.mp4`);
		assert.is(env['TAPEDECK_FILE_BYTES'], String(statSync(file.path).size));
		assert.is(env['TAPEDECK_FILE_DURATION_MS'], String(file.durationMs));
		assert.is(env['TAPEDECK_FILE_SEQUENCE'], String(file.sequence));
		assert.is(env['TAPEDECK_FILE_CODECS'], 'h264,aac');
		assert.is(env['TAPEDECK_JOB_NAME'], 'commanded');
		assert.is(env['TAPEDECK_FILE_STARTED_AT'], file.startedAt);
		assert.is(env['TAPEDECK_FILE_ENDED_AT'], file.endedAt);
		assert.ok(env['PATH'], 'the server environment is passed on');
		assert.is(env['TAPEDECK_ACCESS_TOKEN'], undefined, "the server's own settings are not");
	}
	const failure = server.logger.entries.find((entry) => entry.fields.event === 'webhook.command_failed');
	assert.is(failure?.fields['reason'], 'exit 3');
	assert.is(failure?.level, 'warn');
});

test('a program past its time limit is killed and logged', async () => {
	const data = tempDir('webhooks-timeout');
	const program = join(data, 'stuck.sh');
	writeFileSync(program, `#!/bin/sh\nsleep 30 &\necho $! > "${data}/sleep-$TAPEDECK_FILE_SEQUENCE"\nwait\n`);
	chmodSync(program, 0o755);
	const stuck = await startServer(data, {
		...configFor('http://unused.invalid/'),
		endpoints: [],
		onFileCompleted: program,
		commandTimeoutMs: 200,
	});
	await record(stuck.kit, 'stuck');
	const files = stuck.kit.service.list().flatMap((job) => stuck.kit.service.files(job.id));
	const failures = () => stuck.logger.events('webhook.command_failed');
	await waitUntil('a kill logged for each file', () => failures().length >= files.length, 10_000);
	assert.equal(new Set(failures().map((l) => l.reason)), new Set(['killed after 200 ms']));
	await stuck.stop(0);
	// What the program started went with it.
	for (const file of files) {
		const pid = Number(readFileSync(join(data, `sleep-${file.sequence}`), 'utf8'));
		await waitUntil(`sleep ${pid} of file ${file.sequence} gone`, () => !isRunning(pid), 5000);
	}
});

test('a configuration that cannot work is refused naming the key', () => {
	const refused = (endpoints: WebhooksConfig['endpoints']) => () =>
		new Webhooks({ config: { ...configFor(''), endpoints }, dataDir: tempDir('webhooks-bad'), recordingsRoot: '/' });
	assert.throws(refused([{ url: 'ftp://x/', secret: 's' }]), /webhooks\.endpoints\[0\]\.url: must be http or https/);
	assert.throws(refused([{ url: 'http://x/', secret: '' }]), /webhooks\.endpoints\[0\]\.secret/);
	assert.throws(
		refused([{ url: 'http://x/', secret: 's', events: ['file.done'] }]),
		/webhooks\.endpoints\[0\]\.events: unknown event "file\.done"/,
	);
	assert.throws(
		refused([
			{ url: 'http://x/', secret: 's' },
			{ url: 'http://x/', secret: 't' },
		]),
		/webhooks\.endpoints\[1\]\.url: the same URL is configured twice/,
	);
});

/** Whether `pid` runs (a zombie waiting for its parent to reap it does not). */
const isRunning = (pid: number): boolean => {
	try {
		return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return false;
	}
};

test.run();
