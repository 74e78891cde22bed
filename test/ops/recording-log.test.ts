/**
 * A recording's log lines without a server: the recorder events as `file.opened`, `file.closed` and
 * `job.state`; what its input lost or re-origined as `media.dropped` and `timestamp.fixed` with the
 * recording's id; the bus's sessions as `session.started` and `session.ended` with their figures.
 */
import { readFileSync, statSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { logRecorderEvents } from '../../src/ops/log/recorder-event-log.ts';
import { makeService } from '../api/service-kit.ts';
import { MemoryLogger } from '../helpers/memory-logger.ts';
import { test } from '../helpers/suite.ts';
import { waitFor } from '../helpers/wait.ts';

test('a recorded session: file, state, media and session events, each with its fields', async () => {
	const logger = new MemoryLogger();
	const kit = makeService({ syncIntervalMs: 50, logger, registry: new StreamRegistry({ logger }) });
	logRecorderEvents(kit.service.events, logger);
	const key = { vhost: 'default', app: 'live', stream: 'logged' };
	const job = await kit.service.create({
		name: 'logged',
		dialect: 'callaba',
		key,
		streamName: 'logged',
		format: 'ts',
		// biome-ignore lint/suspicious/noTemplateCurlyInString: a path template, not a JS template
		filePath: '${Stream}_${Sequence}.ts',
		segmentationRule: 'discontinuity',
		active: true,
	});
	const publisher = kit.registry.publish(key, 'test');
	const demuxer = createDemuxer('ts', publisher);
	const media = readFileSync(fixture('h264-aac48'));
	demuxer.push(media.subarray(0, media.length >> 1));
	publisher.warn?.({ code: 'dropped_data', message: 'PID 0x100: 3 packets lost' });
	publisher.warn?.({ code: 'dropped_data', message: 'PID 0x100: 2 packets lost' });
	publisher.warn?.({ code: 'timestamp_jump', message: 'PTS jumped 40 s: re-origined' });
	demuxer.push(media.subarray(media.length >> 1));
	demuxer.end();
	publisher.end('test over');
	assert.ok(await waitFor(() => logger.events('file.closed').length > 0, 5000), logger.lines.join('\n'));

	const [opened] = logger.events('file.opened');
	assert.equal([opened?.['job'], opened?.['name'], opened?.['sequence']], [job.id, 'logged', 0]);
	const [closed] = logger.events('file.closed');
	assert.is(closed?.['bytes'], statSync(String(closed?.['path'])).size);
	assert.ok((closed?.['durationMs'] as number) > 1000, `duration ${closed?.['durationMs']}`);
	assert.ok(logger.events('job.state').some((f) => f['job'] === job.id && f['state'] === 'recording'));

	const dropped = logger.events('media.dropped');
	assert.equal(
		dropped.map((f) => [f['job'], f['code']]),
		[
			[job.id, 'dropped_data'],
			[job.id, 'dropped_data'],
		],
		'both losses (the server log, not this one, holds repeats back)',
	);
	const [fixed] = logger.events('timestamp.fixed');
	assert.equal([fixed?.['job'], fixed?.['code']], [job.id, 'timestamp_jump']);
	assert.ok(logger.entries.some((e) => e.level === 'warn' && e.message === 'PTS jumped 40 s: re-origined'));

	const [started] = logger.events('session.started');
	assert.equal([started?.['stream'], started?.['protocol']], ['default/live/logged', 'test']);
	const [ended] = logger.events('session.ended');
	assert.equal([ended?.['stream'], ended?.['reason']], ['default/live/logged', 'test over']);
	assert.ok((ended?.['bytes'] as number) > media.length / 2, `session bytes ${ended?.['bytes']}`);
	assert.ok((ended?.['packets'] as number) > 0);
	assert.type(ended?.['durationMs'], 'number');
	await kit.service.shutdown();
	await kit.store.close();
});

test.run();
