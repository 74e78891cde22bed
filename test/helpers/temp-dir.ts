/**
 * Temporary folders for tests: under the OS temp folder (never inside the repository), a fresh one per call so
 * concurrent runs never share a path, and removed when the test process exits, passed or failed.
 * `TAPEDECK_KEEP_TEST_FILES=1` keeps them, for looking at what a failing test wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

process.on('exit', () => {
	if (process.env['TAPEDECK_KEEP_TEST_FILES'] === '1') return;
	for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder `<tmp>/tapedeck-<prefix>-XXXXXX`, removed at exit. */
export const tempDir = (prefix: string): string => {
	const dir = mkdtempSync(join(tmpdir(), `tapedeck-${prefix}-`));
	made.push(dir);
	return dir;
};
