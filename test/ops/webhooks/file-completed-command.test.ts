/** The completed-file program: one that cannot start is logged with the reason, and the server goes on. */
import * as assert from 'uvu/assert';
import { FileCompletedCommand } from '../../../src/ops/webhooks/file-completed-command.ts';
import type { WebhookEvent } from '../../../src/ops/webhooks/webhook-event.ts';
import { MemoryLogger } from '../../helpers/memory-logger.ts';
import { test } from '../../helpers/suite.ts';

const event: WebhookEvent = {
	id: 'event-1',
	type: 'file.completed',
	createdAt: '2026-12-03T10:00:05.000Z',
	job: {
		id: 'job-1',
		name: 'cam',
		dialect: 'callaba',
		stream: 'default/live/cam',
		format: 'ts',
		active: true,
		state: 'recording',
		reason: 'recording',
		transactionId: 'tx',
	},
	file: {
		id: 'file-1',
		sequence: 0,
		path: 'cam_0.ts',
		absolutePath: '/data/recordings/cam_0.ts',
		state: 'complete',
		bytes: 1,
		durationMs: 1,
		startedAt: '2026-12-03T10:00:00.000Z',
		codecs: [],
	},
};

test('a program that cannot start is logged with the reason', async () => {
	const logger = new MemoryLogger();
	const command = new FileCompletedCommand({ program: '/nonexistent/on-complete', timeoutMs: 5000, logger });
	command.run(event);
	await command.idle();
	assert.equal(
		logger.entries.map(({ fields, level }) => [fields.event, level, fields['reason'], fields['path']]),
		[['webhook.command_failed', 'warn', 'ENOENT', '/data/recordings/cam_0.ts']],
	);
});

test.run();
