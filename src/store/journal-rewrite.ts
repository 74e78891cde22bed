/**
 * The file work of a journal store beyond appending: the compacted rewrite, and the checks and syncs
 * around replacing a journal.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { JournalLine } from './journal-lines.ts';
import type { LiveDocuments } from './live-documents.ts';

/** Bytes gathered before one write while compacting. */
const WRITE_CHUNK = 1 << 20;

/** Writes one line per live document and item to a new `path` and fsyncs it; returns its size. */
export const writeCompacted = <T extends { readonly id: string }, F extends { readonly id: string }>(
	path: string,
	live: LiveDocuments<T, F>,
): number => {
	const fd = openSync(path, 'w', 0o600);
	let written = 0;
	try {
		fchmodSync(fd, 0o600);
		let batch: string[] = [];
		let batchBytes = 0;
		const flush = () => {
			const text = batch.join('');
			// A short write is a full disk too: the rewrite must hold every line or not replace the journal.
			if (writeSync(fd, text) !== Buffer.byteLength(text)) throw new Error(`short write to ${path}`);
			written += Buffer.byteLength(text);
			batch = [];
			batchBytes = 0;
		};
		live.resize((entry) => {
			const line: JournalLine<T, F> =
				'item' in entry ? { op: 'item', doc: entry.doc.id, value: entry.item } : { op: 'doc', value: entry.doc };
			const text = `${JSON.stringify(line)}\n`;
			const bytes = Buffer.byteLength(text);
			batch.push(text);
			batchBytes += bytes;
			if (batchBytes >= WRITE_CHUNK) flush();
			return bytes;
		});
		flush();
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
	return written;
};

/** Whether the file of `fd` (of `size` bytes, opened readable) ends with a newline: a torn last line does not. */
export const endsWithNewline = (fd: number, size: number): boolean => {
	const last = Buffer.alloc(1);
	readSync(fd, last, 0, 1, size - 1);
	return last[0] === 0x0a;
};

/** fsync on a directory makes a rename in it durable (POSIX leaves it to the directory entry's own sync). */
export const syncDirectory = (path: string): void => {
	const fd = openSync(path, 'r');
	try {
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
};
