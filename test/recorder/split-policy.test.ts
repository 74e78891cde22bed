import * as assert from 'uvu/assert';
import { TapedeckError } from '../../src/core/errors.ts';
import { SplitPolicy, toSixFieldCron } from '../../src/recorder/split-policy.ts';
import { test } from '../helpers/suite.ts';

const at = (iso: string) => new Date(iso);
const check = (elapsedMs: number, now = new Date(0), bytes = 0) => ({ elapsedMs, bytes, now });

const invalid = (fn: () => unknown, pattern: RegExp) => {
	try {
		fn();
	} catch (error) {
		assert.instance(error, TapedeckError);
		assert.is((error as TapedeckError).code, 'invalid_argument');
		assert.match((error as Error).message, pattern);
		return;
	}
	assert.unreachable('expected a validation error');
};

test('interval: splits once the media time reaches it', () => {
	const policy = new SplitPolicy({ intervalMs: 3000 });
	assert.not.ok(policy.shouldSplit(check(2999)));
	assert.ok(policy.shouldSplit(check(3000)));
	assert.ok(policy.shouldSplit(check(4200)));
});

test('maxBytes: splits once the file reaches the size', () => {
	const policy = new SplitPolicy({ maxBytes: 1000 });
	assert.not.ok(policy.shouldSplit(check(50_000, new Date(0), 999)));
	assert.ok(policy.shouldSplit(check(0, new Date(0), 1000)));
});

test('no settings → no policy', () => {
	assert.is(SplitPolicy.from({}), undefined);
	assert.instance(SplitPolicy.from({ intervalMs: 10 }), SplitPolicy);
});

test('schedule: OME "<second minute hour>" fires at each tick after the file started', () => {
	const policy = new SplitPolicy({ schedule: '10 */1 *', timeZone: 'UTC' });
	policy.fileStarted(at('2026-11-22T13:07:42Z'));
	assert.not.ok(policy.shouldSplit(check(0, at('2026-11-22T13:08:09.999Z'))));
	assert.ok(policy.shouldSplit(check(0, at('2026-11-22T13:08:10Z'))));
	policy.fileStarted(at('2026-11-22T13:08:10.400Z'));
	assert.not.ok(policy.shouldSplit(check(0, at('2026-11-22T13:09:09Z'))));
	assert.ok(policy.shouldSplit(check(0, at('2026-11-22T13:09:10.040Z'))));
});

test('schedule hours follow the time zone', () => {
	const policy = new SplitPolicy({ schedule: '0 0 */1', timeZone: 'UTC' });
	policy.fileStarted(at('2026-11-22T13:07:42Z'));
	assert.not.ok(policy.shouldSplit(check(0, at('2026-11-22T13:59:59Z'))));
	assert.ok(policy.shouldSplit(check(0, at('2026-11-22T14:00:00Z'))));
});

test('schedule expands to six fields and validates each', () => {
	assert.is(toSixFieldCron(' 0 */10  * '), '0 */10 * * * *');
	invalid(() => toSixFieldCron('0 */10'), /3 fields.*got 2: "0 \*\/10"/);
	invalid(() => toSixFieldCron('0 0 0 * *'), /3 fields.*got 5/);
	invalid(() => toSixFieldCron('60 * *'), /second field.*0-59.*"60"/);
	invalid(() => toSixFieldCron('0 1-5 *'), /minute field.*"1-5"/);
	invalid(() => toSixFieldCron('0 0 24'), /hour field.*0-23.*"24"/);
	invalid(() => toSixFieldCron('*/0 * *'), /second field.*"\*\/0"/);
	invalid(() => new SplitPolicy({ schedule: 'every ten minutes please' }), /schedule must have 3 fields/);
});

test('interval and schedule together are rejected, as in OME', () => {
	invalid(() => new SplitPolicy({ intervalMs: 1000, schedule: '0 * *' }), /interval \(1000 ms\) and schedule/);
});

test('non-positive numbers are rejected with the value', () => {
	invalid(() => new SplitPolicy({ intervalMs: 0 }), /interval must be a positive number, got 0/);
	invalid(() => new SplitPolicy({ maxBytes: -5 }), /maxBytes.*-5/);
	invalid(() => new SplitPolicy({ intervalMs: Number.NaN }), /NaN/);
});

test.run();
