import * as assert from 'uvu/assert';
import { ProgressBar } from '../../src/cli/progress.ts';
import { test } from '../helpers/suite.ts';

const stream = (isTTY: boolean) => {
	const written: string[] = [];
	return { isTTY, written, write: (text: string) => written.push(text) > 0 };
};

test('on a terminal: one redrawn line with percent, MB and MB/s, then a newline', () => {
	const out = stream(true);
	const bar = new ProgressBar(200_000_000, out);
	bar.update(50_000_000);
	bar.update(60_000_000); // within 100 ms of the last draw: skipped
	bar.done(200_000_000);
	assert.is(out.written.length, 3);
	assert.match(out.written[0]!, /^\r\[######-+\] {2}25% {2}50\.0\/200\.0 MB {2}[\d.]+ MB\/s$/);
	assert.match(out.written[1]!, /100% {2}200\.0\/200\.0 MB/);
	assert.is(out.written[2], '\n');
});

test('not a terminal: silent', () => {
	const out = stream(false);
	const bar = new ProgressBar(100, out);
	bar.update(50);
	bar.done(100);
	assert.equal(out.written, []);
});

test.run();
