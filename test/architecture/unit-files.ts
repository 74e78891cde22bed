/**
 * Prints the unit test files, one a line, relative to test/: the `*.test.ts` files whose imports, followed through
 * the whole tree, reach neither `node:child_process` nor the fixture maker (which runs ffmpeg). They need no
 * external program, so `npm run test:unit` runs them on a machine without the peers, in seconds. A test becomes an
 * interop test by importing what starts a peer; no list to keep.
 */
import { join } from 'node:path';
import { importSpecifiers, readSourceTree, relativeImports } from './import-rule.ts';

const ROOT = join(import.meta.dirname, '../..');
const PROGRAM_STARTERS = new Set(['node:child_process', 'child_process']);
const FIXTURE_MAKER = 'fixtures/fixtures.ts';

const files = readSourceTree(ROOT);
const verdicts = new Map<string, boolean>();

/** Whether `file` or anything it imports starts an external program. */
const startsPrograms = (file: string): boolean => {
	const known = verdicts.get(file);
	if (known !== undefined) return known;
	verdicts.set(file, false); // an import cycle adds nothing new
	const text = files.get(file) ?? '';
	const verdict =
		file === FIXTURE_MAKER ||
		importSpecifiers(text).some(({ specifier }) => PROGRAM_STARTERS.has(specifier)) ||
		relativeImports(file, text).some(({ target }) => startsPrograms(target));
	verdicts.set(file, verdict);
	return verdict;
};

for (const file of [...files.keys()].sort()) {
	if (file.startsWith('test/') && file.endsWith('.test.ts') && !startsPrograms(file)) console.log(file.slice(5));
}
