/**
 * The harness itself: test/run.sh counts a test that hangs past its limit, a failed assertion, a file that throws
 * while loading and a file that never exits, and still ends with its one `N passed, N failed` line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';

const SUITE = join(import.meta.dirname, '../helpers/suite.ts');
const RUN_SH = join(import.meta.dirname, '../run.sh');

test('run.sh names a hung test, counts every failure, and kills a file that never exits', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'tapedeck-harness-'));
	try {
		const file = (name: string, lines: string[]) => writeFileSync(join(dir, name), [...lines, ''].join('\n'));
		file('a.test.ts', [
			`import { test } from ${JSON.stringify(SUITE)};`,
			"test('passes', () => {});",
			"test('waits forever', () => new Promise(() => {}), 300);",
			"test('fails', () => { throw new Error('expected failure'); });",
			'test.run();',
		]);
		file('b.test.ts', [`import { test } from ${JSON.stringify(SUITE)};`, "throw new Error('broken at load');"]);
		file('c.test.ts', [
			`import { test } from ${JSON.stringify(SUITE)};`,
			"test('leaves a timer running', () => { setInterval(() => {}, 1000); });",
			'test.run();',
		]);
		file('d.test.ts', [`import { test } from ${JSON.stringify(SUITE)};`, "test('passes', () => {});", 'test.run();']);
		// The file limit leaves a loaded host time to start tsx; only c.test.ts runs into it.
		const result = await run('bash', [RUN_SH], 100_000, { TEST_DIR: dir, TEST_FILE_TIMEOUT: '20' });
		const lines = result.stdout.trimEnd().split('\n');
		assert.is(lines.at(-1), '3 passed, 4 failed', result.stdout);
		assert.is(result.code, 1);
		assert.match(result.stdout, 'test "waits forever" did not finish within 300 ms');
		assert.match(result.stdout, 'broken at load');
		assert.match(result.stdout, /c\.test\.ts \(\d+ s\)\n[\s\S]*?killed: still running after 20 s/);
		assert.is(result.stdout.match(/killed: still running/g)?.length, 1, result.stdout);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}, 150_000);

test('run.sh fails when no file matches its pattern', async () => {
	const result = await run('bash', [RUN_SH, '^no-such-folder/'], 10_000);
	assert.is(result.stdout.trimEnd().split('\n').at(-1), '0 passed, 1 failed');
	assert.is(result.code, 1);
});

test.run();
