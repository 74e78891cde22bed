/**
 * The job store on a full disk (a small tmpfs filled to its last byte): compaction only saves space,
 * so a store must open without it, a failed compaction must leave the old journal whole, and a line
 * torn by the full disk must not swallow the next one.
 */
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { TapedeckError } from '../../src/core/errors.ts';
import { JournalStore } from '../../src/store/journal-store.ts';
import { fillDisk, mountSmallDisk } from '../helpers/small-disk.ts';
import { test } from '../helpers/suite.ts';

type Doc = { id: string; n: number };

const disk = mountSmallDisk('journal-full', 1024 * 1024);
let folders = 0;
const journalPath = (): string => join(disk!, `store${folders++}`, 'jobs.jsonl');

test('a store opens on a full disk without compacting, and saves again once space is back', async () => {
	if (!disk) return console.log('skipped: cannot mount a tmpfs');
	const path = journalPath();
	const store = new JournalStore<Doc>(path);
	for (let n = 0; n < 20; n++) store.put({ id: 'a', n });
	store.put({ id: 'b', n: 1 });
	await store.close();
	const before = readFileSync(path, 'utf8');
	const ballast = fillDisk(disk);
	const reopened = new JournalStore<Doc>(path);
	assert.equal(reopened.all(), [
		{ id: 'a', n: 19 },
		{ id: 'b', n: 1 },
	]);
	assert.is(readFileSync(path, 'utf8'), before, 'the old journal is kept as it was');
	assert.not.ok(existsSync(`${path}.compact`), 'no half-written rewrite is left');
	rmSync(ballast);
	reopened.put({ id: 'c', n: 1 });
	await reopened.synced();
	await reopened.close();
	assert.equal(
		new JournalStore<Doc>(path).all().map((doc) => doc.id),
		['a', 'b', 'c'],
	);
});

test('a torn last line and a full disk at open: the next line starts on a line of its own', async () => {
	if (!disk) return console.log('skipped: cannot mount a tmpfs');
	const path = journalPath();
	const store = new JournalStore<Doc>(path);
	store.put({ id: 'a', n: 1 });
	await store.close();
	appendFileSync(path, '{"op":"doc","value":{"id":"torn"');
	const ballast = fillDisk(disk);
	const reopened = new JournalStore<Doc>(path);
	assert.is(reopened.skippedLines, 1);
	rmSync(ballast);
	reopened.put({ id: 'b', n: 1 });
	await reopened.close();
	const again = new JournalStore<Doc>(path);
	assert.equal(
		again.all().map((doc) => doc.id),
		['a', 'b'],
	);
	await again.close();
});

test('a compaction that fails while running keeps the old journal, and the changes stay durable', async () => {
	if (!disk) return console.log('skipped: cannot mount a tmpfs');
	const path = journalPath();
	const store = new JournalStore<Doc & { pad?: string }>(path, { compactMinBytes: 1000 });
	for (let i = 0; i < 10; i++) store.put({ id: `d${i}`, n: 0, pad: 'x'.repeat(280) });
	// Small updates grow the journal to just under twice its live size (where it would be rewritten).
	let n = 0;
	while (store.size.journal + 500 < 2 * store.size.live) {
		store.put({ id: 'u', n: n++ });
		await store.synced();
	}
	const lines = readFileSync(path, 'utf8').trim().split('\n').length;
	const ballast = fillDisk(disk);
	// A short line that fits in the journal's last page, but drops a padded document's bytes from the
	// live size: the journal is now past twice that, and its rewrite would need a new page.
	store.put({ id: 'd0', n: 1 });
	await store.synced();
	assert.ok(store.size.journal > 2 * store.size.live, 'not compacted');
	assert.not.ok(existsSync(`${path}.compact`), 'no half-written rewrite is left');
	assert.is(readFileSync(path, 'utf8').trim().split('\n').length, lines + 1, 'the old journal, one line longer');
	rmSync(ballast);
	store.put({ id: 'b', n: 1 });
	await store.synced();
	await store.close();
	const reopened = new JournalStore<Doc>(path);
	assert.equal(reopened.get('u')?.n, n - 1);
	assert.equal(reopened.get('d0'), { id: 'd0', n: 1 });
	assert.equal(reopened.get('b'), { id: 'b', n: 1 });
	await reopened.close();
});

test('a change the full disk refuses fails with a disk_full error that says so', async () => {
	if (!disk) return console.log('skipped: cannot mount a tmpfs');
	const path = journalPath();
	const store = new JournalStore<Doc>(path);
	const ballast = fillDisk(disk);
	let refused: unknown;
	try {
		for (let n = 0; n < 1000; n++) store.put({ id: `doc${n}`, n });
	} catch (error) {
		refused = error;
	}
	assert.instance(refused, TapedeckError);
	assert.is((refused as TapedeckError).code, 'disk_full');
	assert.match((refused as Error).message, /^no space left on device: cannot save the job store /);
	rmSync(ballast);
	store.put({ id: 'after', n: 1 });
	await store.close();
	const reopened = new JournalStore<Doc>(path);
	assert.ok(reopened.get('after'), 'the store takes changes again once space is back');
	assert.is(reopened.skippedLines, 0, 'no line was torn by the full disk');
	await reopened.close();
});

test.run();
