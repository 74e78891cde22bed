import * as assert from 'uvu/assert';
import { rescale, TimestampUnwrapper, TWO_POW_33 } from '../../src/core/time.ts';
import { test } from '../helpers/suite.ts';

test('33-bit unwrap carries on past the wrap', () => {
	const u = new TimestampUnwrapper(33);
	assert.is(u.unwrap(TWO_POW_33 - 3000), TWO_POW_33 - 3000);
	assert.is(u.unwrap(TWO_POW_33 - 1), TWO_POW_33 - 1);
	assert.is(u.unwrap(500), TWO_POW_33 + 500);
	assert.is(u.unwrap(3500), TWO_POW_33 + 3500);
});

test('small steps backwards stay backwards (B-frames, jitter)', () => {
	const u = new TimestampUnwrapper(33);
	u.unwrap(100_000);
	assert.is(u.unwrap(96_400), 96_400);
	assert.is(u.unwrap(103_600), 103_600);
});

test('32-bit unwrap for FLV milliseconds', () => {
	const u = new TimestampUnwrapper(32);
	u.unwrap(2 ** 32 - 10);
	assert.is(u.unwrap(23), 2 ** 32 + 23);
});

test('rescale rounds without drift', () => {
	assert.is(rescale(1024, 44_100, 90_000), 2090);
	assert.is(rescale(1024 * 441, 44_100, 90_000), 921_600);
	assert.is(rescale(7, 90_000, 90_000), 7);
});

test.run();
