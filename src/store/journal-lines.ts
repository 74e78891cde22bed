import { closeSync, existsSync, openSync, readSync } from 'node:fs';

/** Bytes read at a time: memory stays bounded by the longest line, whatever the file's size. */
const READ_CHUNK = 1 << 20;

/**
 * Calls `onLine` with each line of the file at `path` (without its newline), reading it in fixed
 * chunks: a journal larger than the largest string a process can hold still reads. A missing file
 * has no lines.
 */
export const forEachLine = (path: string, onLine: (text: string) => void): void => {
	if (!existsSync(path)) return;
	const fd = openSync(path, 'r');
	try {
		const chunk = Buffer.allocUnsafe(READ_CHUNK);
		let pending: Buffer[] = [];
		for (;;) {
			const read = readSync(fd, chunk, 0, READ_CHUNK, null);
			if (read === 0) break;
			let start = 0;
			for (let end = chunk.indexOf(10, start); end >= 0 && end < read; end = chunk.indexOf(10, start)) {
				pending.push(chunk.subarray(start, end));
				onLine(Buffer.concat(pending).toString('utf8'));
				pending = [];
				start = end + 1;
			}
			// The rest of the chunk begins the next line: copied, the chunk is read over.
			if (start < read) pending.push(Buffer.from(chunk.subarray(start, read)));
		}
		if (pending.length) onLine(Buffer.concat(pending).toString('utf8'));
	} finally {
		closeSync(fd);
	}
};

/**
 * One line of the journal. A document is saved without its items (`doc`); each item (a recorded
 * file) is its own small line, so a change costs the size of what changed, not of the history.
 * `put` and `delete` are the first format's lines (a whole document, items inside), read on open.
 */
export type JournalLine<T, F> =
	| { readonly op: 'doc'; readonly value: T }
	| { readonly op: 'drop'; readonly id: string }
	| { readonly op: 'item'; readonly doc: string; readonly value: F }
	| { readonly op: 'unitem'; readonly doc: string; readonly id: string }
	| { readonly op: 'put'; readonly value: unknown }
	| { readonly op: 'delete'; readonly id: string };
