import { appendFileSync, readFileSync } from 'node:fs';
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

test.run();
