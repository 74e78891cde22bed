/**
 * The recorder stays split into parts a reader holds in mind at once (job ↔ runs ↔ recording ↔ segment
 * files ↔ format writer): no file of src/recorder over 300 lines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { test } from '../helpers/suite.ts';

const RECORDER = join(import.meta.dirname, '../../src/recorder');
const MAX_LINES = 300;

test(`no file of src/recorder is over ${MAX_LINES} lines`, () => {
	const files = readdirSync(RECORDER).filter((name) => name.endsWith('.ts'));
	assert.ok(files.length > 20, `read ${files.length} files`);
	const long = files
		.map((name) => ({ name, lines: readFileSync(join(RECORDER, name), 'utf8').split('\n').length - 1 }))
		.filter(({ lines }) => lines > MAX_LINES)
		.map(({ name, lines }) => `${name}: ${lines} lines`);
	assert.equal(long, []);
});

test.run();
