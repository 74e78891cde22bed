/**
 * Retention in the server as an operator configures it: a YAML file's `retention` keys (durations
 * with units) reach the running rules, and start-up deletes what they name, logged as `retention.deleted`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { startServer } from '../../src/cli/serve.ts';
import { loadAccessToken, loadServeConfig } from '../../src/config/load.ts';
import type { RecordedFile } from '../../src/recorder/recording.ts';
import { RecordingService } from '../../src/recorder/recording-service.ts';
import { openJobStore } from '../api/service-kit.ts';
import { jobSettings } from '../helpers/job-settings.ts';
import { MemoryLogger } from '../helpers/memory-logger.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { waitUntil } from '../helpers/wait.ts';

test('a config file sets retention; the server deletes at start-up what it names, and keeps the rest', async () => {
	const data = tempDir('retention-serve');
	const configFile = join(data, 'tapedeck.yaml');
	writeFileSync(configFile, 'retention:\n  maxAgeMs: 2h\n  minFreeBytes: 0\n  checkIntervalMs: 1m\n');
	const config = loadServeConfig(
		['--port', '0', '--data', data, '--config', configFile, '--rtmp-port', '0', '--srt-port', '0', '--rtsp-port', '0'],
		{},
	);
	assert.equal(config.operations.retention.maxAgeMs, 2 * 3600_000);
	// A job with a file finished three hours ago and one finished a minute ago, as an earlier run left them.
	const store = openJobStore(join(config.storeDir, 'recordings.jsonl'));
	const seed = new RecordingService({
		registry: new StreamRegistry(),
		store,
		recordingsRoot: config.recordingsDir,
		listenHost: '127.0.0.1',
	});
	const job = await seed.create(jobSettings('cam'));
	const file = (sequence: number, endedAgoMs: number): RecordedFile => {
		const path = join(config.recordingsDir, `cam_${sequence}.ts`);
		mkdirSync(config.recordingsDir, { recursive: true });
		writeFileSync(path, Buffer.alloc(188 * 10, 0x47));
		const endedAt = new Date(Date.now() - endedAgoMs).toISOString();
		const entry: RecordedFile = {
			id: `f${sequence}`,
			sequence,
			path,
			partPath: `${path}.part`,
			state: 'complete',
			bytes: 1880,
			durationMs: 1000,
			startedAt: endedAt,
			endedAt,
		};
		store.putItem(job.id, entry);
		return entry;
	};
	const old = file(0, 3 * 3600_000);
	const recent = file(1, 60_000);
	await store.close();

	const logger = new MemoryLogger();
	const server = await startServer(config, loadAccessToken(config.dataDir, {}), { logger });
	try {
		await waitUntil('the old file deleted', () => logger.events('retention.deleted').length > 0, 10_000);
		assert.not.ok(existsSync(old.path));
		assert.ok(existsSync(recent.path));
		assert.equal(
			server.service.files(job.id).map((f) => f.id),
			['f1'],
		);
		const [deleted] = logger.events('retention.deleted');
		assert.equal([deleted?.['path'], deleted?.['rule']], [old.path, 'maxAgeMs']);
	} finally {
		await server.close();
	}
});

test.run();
