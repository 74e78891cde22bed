/**
 * The recorder's event channel: a recorded stream produces file.started, file.completed (with the
 * final path and size) and job.state events in order, and a listener that throws does not stop the others.
 */
import { readFileSync, statSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import type { RecorderEvent } from '../../src/recorder/recorder-events.ts';
import { makeService } from '../api/service-kit.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { test } from '../helpers/suite.ts';
import { waitFor } from '../helpers/wait.ts';

test('a recording emits file.started, file.completed and job.state; a throwing listener is contained', async () => {
	const logged: string[] = [];
	const kit = makeService({ syncIntervalMs: 50, logger: linesLogger(logged) });
	const events: RecorderEvent[] = [];
	kit.service.events.on(() => {
		throw new Error('listener bug');
	});
	kit.service.events.on((event) => events.push(event));
	const job = await kit.service.create({
		name: 'evented',
		dialect: 'callaba',
		key: { vhost: 'default', app: 'live', stream: 'evented' },
		streamName: 'evented',
		format: 'ts',
		// biome-ignore lint/suspicious/noTemplateCurlyInString: a path template, not a JS template
		filePath: '${Stream}_${Sequence}.ts',
		segmentationRule: 'discontinuity',
		active: true,
	});
	const publisher = kit.registry.publish({ vhost: 'default', app: 'live', stream: 'evented' }, 'test');
	const demuxer = createDemuxer('ts', publisher);
	demuxer.push(readFileSync(fixture('h264-aac48')));
	demuxer.end();
	publisher.end();
	assert.ok(await waitFor(() => events.some((e) => e.type === 'file.completed'), 5000), 'file.completed');
	const types = events.filter((e) => e.job.id === job.id).map((e) => e.type);
	assert.ok(types.indexOf('file.started') < types.indexOf('file.completed'), types.join(' '));
	assert.ok(types.includes('job.state'), types.join(' '));
	const completed = events.find((e) => e.type === 'file.completed');
	assert.ok(completed?.type === 'file.completed');
	assert.is(completed.file.bytes, statSync(completed.file.path).size);
	assert.is(completed.file.state, 'complete');
	const states = events.flatMap((e) => (e.type === 'job.state' ? [e.job.state] : []));
	assert.ok(states.includes('recording'), states.join(' '));
	assert.ok(
		logged.some((line) => line.includes('listener bug')),
		logged.join('\n'),
	);
	await kit.service.shutdown();
	await kit.store.close();
});

test.run();
