/**
 * The server log's hold on repeated media events: a stream losing data on every packet writes its
 * first loss, then one line per interval with the count, per job; other events are never held; at
 * shutdown every held count is written, so the lines add up to every occurrence.
 */
import * as assert from 'uvu/assert';
import { RateLimitedLog } from '../../src/ops/log/rate-limited-log.ts';
import { MemoryLogger } from '../helpers/memory-logger.ts';
import { test } from '../helpers/suite.ts';

const setUp = () => {
	const clock = { now: 0 };
	const memory = new MemoryLogger();
	const log = new RateLimitedLog(memory, 10_000, () => clock.now);
	return { clock, memory, log };
};

/** How many occurrences the lines of `event` stand for: each is itself plus its `repeated`. */
const occurrences = (memory: MemoryLogger, event: string): number =>
	memory.events(event).reduce((sum, fields) => sum + 1 + ((fields['repeated'] as number | undefined) ?? 0), 0);

test('repeated media.dropped of one job: the first line, then one summary per interval; every one counted', () => {
	const { clock, memory, log } = setUp();
	const job = log.logger.child({ job: 'j1' });
	for (let i = 0; i < 250; i++) {
		clock.now = i * 100; // 25 s of one loss every 100 ms
		job.warn({ event: 'media.dropped', code: 'dropped_data' }, `loss ${i}`);
		log.flush();
	}
	log.close();
	const lines = memory.events('media.dropped');
	assert.ok(lines.length <= 4, `${lines.length} lines for 250 losses in 25 s`);
	assert.is(memory.entries[0]?.message, 'loss 0');
	assert.is(lines[0]?.['job'], 'j1', 'the child binding is kept');
	assert.is(occurrences(memory, 'media.dropped'), 250);
	assert.match(memory.entries[1]?.message ?? '', /^loss \d+ \(and \d+ more like it since the last such line\)$/);
});

test('keys are per event, job and code: another job or another code is written at once', () => {
	const { memory, log } = setUp();
	log.logger.child({ job: 'a' }).warn({ event: 'media.dropped', code: 'dropped_data' }, 'a drop');
	log.logger.child({ job: 'a' }).warn({ event: 'media.dropped', code: 'dropped_data' }, 'a drop again');
	log.logger.child({ job: 'b' }).warn({ event: 'media.dropped', code: 'dropped_data' }, 'b drop');
	log.logger.child({ job: 'a' }).warn({ event: 'timestamp.fixed', code: 'timestamp_jump' }, 'a jump');
	log.logger.child({ job: 'a' }).warn({ event: 'media.warning', code: 'corrupt_data' }, 'a damage');
	assert.equal(memory.lines, ['a drop', 'b drop', 'a jump', 'a damage']);
	log.close();
	assert.equal(memory.lines.at(-1), 'a drop again', 'one held line: written as itself at shutdown');
});

test('other events are never held back', () => {
	const { memory, log } = setUp();
	for (let i = 0; i < 5; i++) log.logger.info({ event: 'publish.refused', reason: 'wrong key' }, `refused ${i}`);
	assert.is(memory.events('publish.refused').length, 5);
	log.close();
});

test.run();
