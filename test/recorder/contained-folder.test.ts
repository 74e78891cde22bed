/** The recordings root is a wall: no folder link inside it is followed, for writing, repair or removal. */
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { containedFolder } from '../../src/recorder/contained-folder.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const root = tempDir('root');
const outside = tempDir('outside');

test('missing folders under the root are created one by one', () => {
	assert.is(containedFolder(root, join(root, 'a', 'b', 'file.ts'), true), join(root, 'a', 'b'));
	assert.ok(existsSync(join(root, 'a', 'b')));
});

test('a folder link anywhere below the root is refused, whether it exists or would be created through', () => {
	symlinkSync(outside, join(root, 'escape'));
	for (const create of [true, false]) {
		assert.throws(() => containedFolder(root, join(root, 'escape', 'file.ts'), create), /symbolic link/);
		assert.throws(() => containedFolder(root, join(root, 'escape', 'deeper', 'file.ts'), create), /symbolic link/);
	}
	assert.equal(readdirSync(outside), []);
});

test('a path outside the root, or a file where a folder should be, is refused', () => {
	assert.throws(() => containedFolder(root, join(outside, 'file.ts'), true), /outside the recordings folder/);
	writeFileSync(join(root, 'plain'), '');
	assert.throws(() => containedFolder(root, join(root, 'plain', 'file.ts'), true), /not a folder/);
});

test('without create, a missing folder is no error (nothing to remove there)', () => {
	mkdirSync(join(root, 'c'));
	assert.is(containedFolder(root, join(root, 'c', 'gone', 'file.ts'), false), join(root, 'c', 'gone'));
});

test.after(() => {
	rmSync(root, { recursive: true, force: true });
	rmSync(outside, { recursive: true, force: true });
});

test.run();
