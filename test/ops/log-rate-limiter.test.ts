/**
 * The rate limiter of repeated log events, on an injected clock: the first occurrence of a key
 * passes, repeats within the interval are held and counted, one summary per interval says how many,
 * and a key quiet for an interval starts over.
 */
import * as assert from 'uvu/assert';
import { LogRateLimiter } from '../../src/ops/log/log-rate-limiter.ts';
import { test } from '../helpers/suite.ts';

const limiterAt = (intervalMs: number, maxKeys?: number) => {
	const clock = { now: 0 };
	return { clock, limiter: new LogRateLimiter<string>(intervalMs, () => clock.now, maxKeys) };
};

test('the first occurrence passes; repeats within the interval are held and counted, each key on its own', () => {
	const { clock, limiter } = limiterAt(1000);
	assert.is(limiter.admit('a', 'a0'), 0);
	assert.is(limiter.admit('b', 'b0'), 0, 'another key passes too');
	for (let i = 1; i <= 9; i++) {
		clock.now = i * 100;
		assert.is(limiter.admit('a', `a${i}`), undefined);
	}
	assert.equal(limiter.due(), [], 'nothing is due before the interval has passed');
	clock.now = 1000;
	assert.equal(limiter.due(), [{ key: 'a', held: 9, latest: 'a9' }], 'one summary, with the latest occurrence');
	assert.equal(limiter.due(), [], 'and only one per interval');
});

test('after an interval an occurrence passes at once, carrying the count held since the last line', () => {
	const { clock, limiter } = limiterAt(1000);
	limiter.admit('a', 'first');
	clock.now = 500;
	limiter.admit('a', 'held 1');
	limiter.admit('a', 'held 2');
	clock.now = 1200;
	assert.is(limiter.admit('a', 'next'), 2);
	clock.now = 1300;
	assert.is(limiter.admit('a', 'held again'), undefined, 'the interval restarts at that line');
});

test('a key quiet for a whole interval is forgotten: its next occurrence is a first one again', () => {
	const { clock, limiter } = limiterAt(1000);
	limiter.admit('a', 'first');
	clock.now = 1000;
	assert.equal(limiter.due(), [], 'nothing held: no summary, and the key is dropped');
	clock.now = 1001;
	assert.is(limiter.admit('a', 'again'), 0);
});

test('drain returns every held count whatever its age; the map of keys is bounded', () => {
	const { clock, limiter } = limiterAt(60_000, 2);
	limiter.admit('a', 'a');
	limiter.admit('a', 'a held');
	clock.now = 10;
	assert.equal(limiter.drain(), [{ key: 'a', held: 1, latest: 'a held' }]);
	assert.equal(limiter.drain(), []);
	limiter.admit('x', 'x');
	limiter.admit('y', 'y');
	limiter.admit('z', 'z');
	assert.is(limiter.admit('x', 'x again'), 0, 'the oldest key made room and starts over');
});

test.run();
