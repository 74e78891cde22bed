import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { JournalStore } from '../../src/store/journal-store.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

type Doc = { id: string; n: number };

test('changes survive a reopen; the journal is compacted to one line per document', () => {
	const path = join(tempDir('store'), 'store', 'jobs.jsonl');
	const store = new JournalStore<Doc>(path);
	store.put({ id: 'a', n: 1 });
	store.put({ id: 'b', n: 1 });
	store.put({ id: 'a', n: 2 });
	assert.ok(store.delete('b'));
	assert.not.ok(store.delete('zzz'));
	store.close();
	assert.is(readFileSync(path, 'utf8').trim().split('\n').length, 4);
	const reopened = new JournalStore<Doc>(path);
	assert.equal(reopened.all(), [{ id: 'a', n: 2 }]);
	assert.is(readFileSync(path, 'utf8').trim().split('\n').length, 1);
	reopened.close();
});

test('a torn last line (crash mid-append) is skipped, the rest kept', () => {
	const path = join(tempDir('store'), 'jobs.jsonl');
	const store = new JournalStore<Doc>(path);
	store.put({ id: 'a', n: 1 });
	store.close();
	appendFileSync(path, '{"op":"put","value":{"id":"b"');
	const reopened = new JournalStore<Doc>(path);
	assert.is(reopened.skippedLines, 1);
	assert.equal(reopened.all(), [{ id: 'a', n: 1 }]);
	reopened.close();
});

test('changes of one tick share a sync; synced() resolves once they are in the file; a closed store refuses changes', async () => {
	const path = join(tempDir('store'), 'jobs.jsonl');
	const store = new JournalStore<Doc>(path);
	await store.synced(); // nothing pending
	for (let n = 0; n < 50; n++) store.put({ id: `d${n}`, n });
	const first = store.synced();
	assert.is(first, store.synced(), 'one shared commit for the appends of a tick');
	await first;
	assert.is(readFileSync(path, 'utf8').trim().split('\n').length, 50);
	store.put({ id: 'late', n: 1 }); // while nothing is in flight: a new commit
	await store.synced();
	await store.close();
	assert.throws(() => store.put({ id: 'x', n: 0 }), /closed/);
	assert.is(new JournalStore<Doc>(path).all().length, 51);
});

type Item = { id: string; state: string; bytes: number };

test('items are saved as small lines of their own: a change costs its size, not the history', async () => {
	const path = join(tempDir('store'), 'jobs.jsonl');
	const store = new JournalStore<Doc, Item>(path);
	store.put({ id: 'job', n: 0 });
	for (let i = 0; i < 100; i++) store.putItem('job', { id: `f${i}`, state: 'writing', bytes: 0 });
	const before = statSync(path).size;
	store.putItem('job', { id: 'f50', state: 'complete', bytes: 1234 });
	store.put({ id: 'job', n: 1 });
	assert.ok(statSync(path).size - before < 200, `two changes appended ${statSync(path).size - before} bytes`);
	assert.ok(store.deleteItem('job', 'f7'));
	assert.not.ok(store.deleteItem('job', 'f7'));
	assert.throws(() => store.putItem('nobody', { id: 'x', state: '', bytes: 0 }), /no document "nobody"/);
	await store.close();
	const reopened = new JournalStore<Doc, Item>(path);
	assert.equal(reopened.get('job'), { id: 'job', n: 1 });
	assert.is(reopened.itemCount('job'), 99);
	assert.equal(reopened.item('job', 'f50'), { id: 'f50', state: 'complete', bytes: 1234 });
	assert.is(reopened.items('job')[0]?.id, 'f0', 'items keep the order they were added in');
	reopened.delete('job');
	assert.equal(reopened.items('job'), []);
	await reopened.close();
	assert.equal(new JournalStore<Doc, Item>(path).all(), []);
});

test('10,000 files on one job: the journal stays a few MB while running and re-opens in well under 5 s', async () => {
	const path = join(tempDir('store'), 'jobs.jsonl');
	const store = new JournalStore<Doc, Item>(path, { compactMinBytes: 256 * 1024, compactRatio: 2 });
	store.put({ id: 'job', n: 0 });
	let largest = 0;
	for (let i = 0; i < 10_000; i++) {
		// A file opens, the job's state changes, the file closes: what a recording splitting every frame does.
		store.putItem('job', { id: `file-${i}`, state: 'writing', bytes: 0 });
		store.put({ id: 'job', n: i });
		store.putItem('job', { id: `file-${i}`, state: 'complete', bytes: i * 1000 });
		if (i % 100 === 99) {
			await store.synced();
			largest = Math.max(largest, statSync(path).size);
		}
	}
	await store.close();
	const { journal, live } = store.size;
	// Without compaction the history would be 2.5 times the live state (two file lines and a job line per file).
	assert.ok(journal <= 2 * live + 64 * 1024, `journal ${journal} bytes for ${live} bytes of live state`);
	assert.ok(largest < 4 * 1024 * 1024, `the journal peaked at ${largest} bytes`);
	const started = performance.now();
	const reopened = new JournalStore<Doc, Item>(path);
	const elapsed = performance.now() - started;
	assert.ok(elapsed < 5000, `re-open took ${elapsed} ms`);
	assert.is(reopened.itemCount('job'), 10_000);
	assert.equal(reopened.item('job', 'file-9999'), { id: 'file-9999', state: 'complete', bytes: 9_999_000 });
	assert.equal(reopened.get('job'), { id: 'job', n: 9999 });
	await reopened.close();
});

test('a journal larger than any string (chunked read) with a long history opens to its live state', () => {
	const dir = tempDir('store');
	const path = join(dir, 'jobs.jsonl');
	// 3 MiB of history for one live line: read in 1 MiB chunks, lines split across chunk borders.
	const line = `${JSON.stringify({ op: 'doc', value: { id: 'a', n: 1, pad: 'x'.repeat(1000) } })}\n`;
	writeFileSync(path, line.repeat(Math.ceil((3 << 20) / line.length)));
	const store = new JournalStore<Doc>(path);
	assert.is(store.all().length, 1);
	assert.is(store.skippedLines, 0);
	assert.ok(statSync(path).size < 2 * line.length);
	store.close();
});

test('the store folder is 0700 and its files 0600 whatever the umask', async () => {
	const dir = join(tempDir('store'), 'store');
	mkdirSync(dir, { mode: 0o777 });
	const previous = process.umask(0);
	try {
		writeFileSync(join(dir, 'jobs.jsonl'), '', { mode: 0o666 });
		const store = new JournalStore<Doc>(join(dir, 'jobs.jsonl'), { compactMinBytes: 0, compactRatio: 1 });
		store.put({ id: 'secret', n: 1 });
		store.put({ id: 'secret', n: 2 });
		await store.synced(); // compacted: the rewritten file is 0600 too
		assert.is(statSync(dir).mode & 0o777, 0o700);
		assert.is(statSync(join(dir, 'jobs.jsonl')).mode & 0o777, 0o600);
		await store.close();
	} finally {
		process.umask(previous);
	}
});

test.run();
