import {
	closeSync,
	existsSync,
	fdatasyncSync,
	fsyncSync,
	mkdirSync,
	openSync,
	readFileSync,
	renameSync,
	writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { TapedeckError } from '../core/errors.ts';

type JournalLine<T> = { readonly op: 'put'; readonly value: T } | { readonly op: 'delete'; readonly id: string };

/**
 * A tiny embedded store of JSON documents keyed by `id`: every change is one JSON line appended to a
 * journal and made durable (fdatasync) before the call returns; on open the journal is replayed and
 * compacted (rewritten with one line per live document, then atomically renamed over the old one).
 * A torn last line from a crash mid-append is ignored. Enough for thousands of recording jobs;
 * reads are served from memory.
 */
export class JournalStore<T extends { readonly id: string }> {
	readonly path: string;
	readonly #documents = new Map<string, T>();
	#fd: number;
	/** Lines that could not be parsed when the journal was opened (a torn tail after a crash). */
	readonly skippedLines: number;

	constructor(path: string) {
		this.path = path;
		mkdirSync(dirname(path), { recursive: true });
		this.skippedLines = this.#replay();
		this.#compact();
		this.#fd = openSync(path, 'a');
	}

	get(id: string): T | undefined {
		return this.#documents.get(id);
	}

	all(): T[] {
		return [...this.#documents.values()];
	}

	put(value: T): void {
		this.#append({ op: 'put', value });
		this.#documents.set(value.id, value);
	}

	delete(id: string): boolean {
		if (!this.#documents.has(id)) return false;
		this.#append({ op: 'delete', id });
		this.#documents.delete(id);
		return true;
	}

	close(): void {
		closeSync(this.#fd);
	}

	#append(line: JournalLine<T>): void {
		try {
			writeSync(this.#fd, `${JSON.stringify(line)}\n`);
			fdatasyncSync(this.#fd);
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			throw new TapedeckError(
				code === 'ENOSPC' ? 'disk_full' : 'io',
				`cannot save the job store ${this.path}: ${(error as Error).message}`,
				{ cause: error },
			);
		}
	}

	#replay(): number {
		if (!existsSync(this.path)) return 0;
		let skipped = 0;
		for (const text of readFileSync(this.path, 'utf8').split('\n')) {
			if (text === '') continue;
			let line: JournalLine<T>;
			try {
				line = JSON.parse(text) as JournalLine<T>;
			} catch {
				skipped++;
				continue;
			}
			if (line.op === 'put') this.#documents.set(line.value.id, line.value);
			else if (line.op === 'delete') this.#documents.delete(line.id);
		}
		return skipped;
	}

	#compact(): void {
		const temp = `${this.path}.compact`;
		const fd = openSync(temp, 'w');
		try {
			const lines = this.all().map((value) => JSON.stringify({ op: 'put', value } satisfies JournalLine<T>));
			writeSync(fd, lines.length ? `${lines.join('\n')}\n` : '');
			fsyncSync(fd);
		} finally {
			closeSync(fd);
		}
		renameSync(temp, this.path);
		syncDirectory(dirname(this.path));
	}
}

/** fsync on a directory makes a rename in it durable (POSIX leaves it to the directory entry's own sync). */
export const syncDirectory = (path: string): void => {
	const fd = openSync(path, 'r');
	try {
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
};
