/** FileSink: what reaches the disk, what it refuses to open, and its bounded write queue. */
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { TapedeckError } from '../../src/core/errors.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('sink');

test('exclusive: an existing file or a link is refused with a clear error and left as it was', () => {
	writeFileSync(join(dir, 'taken'), 'x');
	symlinkSync(join(dir, 'taken'), join(dir, 'link'));
	assert.throws(() => new FileSink(join(dir, 'taken'), { exclusive: true }), /already exists: it is never overwritten/);
	assert.throws(() => new FileSink(join(dir, 'link'), { exclusive: true }), /already exists|symbolic link/);
	assert.is(readFileSync(join(dir, 'taken'), 'utf8'), 'x');
});

test('exclusive: a new file is written and synced', async () => {
	const path = join(dir, 'new');
	const sink = new FileSink(path, { exclusive: true });
	sink.write(new Uint8Array([1, 2, 3]));
	await sink.sync();
	assert.equal([...readFileSync(path)], [1, 2, 3]);
	await sink.close();
});

test('a write queue past its bound fails the sink with a clear error instead of growing', async () => {
	const sink = new FileSink(join(dir, 'queue'), { maxQueuedBytes: 2 << 20 });
	const chunk = new Uint8Array(1 << 20);
	let thrown: unknown;
	try {
		// Never waiting on drain(): a producer faster than the disk.
		for (let i = 0; i < 64; i++) sink.write(chunk);
	} catch (error) {
		thrown = error;
	}
	assert.ok(thrown instanceof TapedeckError, 'the sink refuses more');
	assert.match((thrown as Error).message, /write queue .* passed 2097152 bytes/);
	await sink.close().catch(() => {});
	assert.throws(() => sink.write(chunk), /write queue/);
});

test('backlogged from half its bound, so a live producer drops before the bound fails the file; clear again once drained', async () => {
	const sink = new FileSink(join(dir, 'backlog'), { maxQueuedBytes: 4 << 20 });
	const chunk = new Uint8Array(1 << 20);
	assert.not.ok(sink.backlogged);
	// Synchronous writes: the OS has taken none of it yet.
	for (let i = 0; i < 3; i++) sink.write(chunk);
	assert.ok(sink.backlogged, 'past half the bound');
	await sink.drain();
	assert.not.ok(sink.backlogged);
	await sink.close();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
