/**
 * `serve` with a webhook endpoint in its configuration file: the file a shutdown finalizes is
 * announced before the server exits, and the outbox is the data folder's `outbox/webhooks.jsonl`,
 * private to the server's user.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../../fixtures/fixtures.ts';
import { createDemuxer } from '../../../ingest/demux/create-demuxer.ts';
import { startServer } from '../../../src/cli/serve.ts';
import { loadAccessToken, loadServeConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import { jobSettings } from '../../helpers/job-settings.ts';
import { test } from '../../helpers/suite.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

test('the file a shutdown finalizes is announced before the server exits', async () => {
	const receiver = new WebhookReceiver('serve-secret');
	await receiver.up();
	const data = tempDir('serve-webhooks');
	// The configuration file in the data folder, as an operator writes it.
	writeFileSync(
		join(data, 'tapedeck.yaml'),
		`webhooks:\n  endpoints:\n    - url: ${receiver.url}\n      secret: serve-secret\n  retryMaxMs: 2s\n`,
	);
	const config = loadServeConfig(
		['--data', data, '--port', '0', '--rtmp-port', '0', '--srt-port', '0', '--rtsp-port', '0'],
		{},
	);
	const server = await startServer(config, loadAccessToken(data, { TAPEDECK_ACCESS_TOKEN: 'token' }), {
		logger: silentLogger,
	});
	try {
		const key = { vhost: 'default', app: 'live', stream: 'open' };
		const job = await server.service.create(jobSettings('open', { active: true }));
		// The publisher stays connected: the file is open when the server stops.
		const publisher = server.registry.publish(key, 'test');
		createDemuxer('ts', publisher).push(readFileSync(fixture('h264-aac48')));
		await waitUntil('the file open', () => receiver.ids('file.started').size === 1, 10_000);
		await server.close();
		const [file] = server.service.files(job.id);
		const completed = receiver.deliveries.filter((d) => d.type === 'file.completed');
		assert.is(completed.length, 1, 'announced before close() returned');
		const [announced] = completed;
		assert.ok(announced?.signed);
		assert.is((announced?.body['file'] as { absolutePath?: string } | undefined)?.absolutePath, file?.path);
		assert.is(statSync(join(data, 'outbox', 'webhooks.jsonl')).mode & 0o777, 0o600);
		assert.is(statSync(join(data, 'outbox')).mode & 0o777, 0o700);
	} finally {
		await server.close();
		await receiver.down();
	}
});

test.run();
