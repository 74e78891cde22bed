import {
	closeSync,
	existsSync,
	fdatasync,
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
 * A tiny embedded store of JSON documents keyed by `id`: every change is one JSON line appended to the
 * journal at once (so a killed process loses nothing the kernel holds) and made durable by a group
 * commit: the changes of one event-loop turn share one fdatasync on the libuv pool, and `synced()`
 * resolves once every change made before it is on disk — acknowledge a change to a user only after it.
 * On open the journal is replayed and compacted (rewritten with one line per live document, then
 * atomically renamed over the old one). A torn last line from a crash mid-append is ignored. Enough
 * for thousands of recording jobs; reads are served from memory.
 */
export class JournalStore<T extends { readonly id: string }> {
	readonly path: string;
	readonly #documents = new Map<string, T>();
	#fd: number;
	/** Lines that could not be parsed when the journal was opened (a torn tail after a crash). */
	readonly skippedLines: number;
	/** Appends not yet covered by a sync that has started. */
	#dirty = false;
	/** The sync on the pool now, if any; appends made while it runs wait for the next one. */
	#syncing: Promise<void> | undefined;
	/** The next sync, shared by every append since `#syncing` started. */
	#next: Promise<void> | undefined;
	/** The first failed sync: the journal can no longer promise durability, so every later change fails. */
	#error: TapedeckError | undefined;
	#closed = false;

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

	/** Resolves once every change made so far is durable; rejects if a sync failed. */
	synced(): Promise<void> {
		if (this.#error) return Promise.reject(this.#error);
		return this.#next ?? this.#syncing ?? Promise.resolve();
	}

	/** Waits for the pending syncs, then closes the journal. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		await this.synced().catch(() => {});
		closeSync(this.#fd);
	}

	#append(line: JournalLine<T>): void {
		if (this.#closed) throw new TapedeckError('io', `the job store ${this.path} is closed`);
		if (this.#error) throw this.#error;
		try {
			writeSync(this.#fd, `${JSON.stringify(line)}\n`);
		} catch (error) {
			throw this.#storeError(error);
		}
		this.#dirty = true;
		if (this.#next) return;
		this.#next = this.#nextSync();
		// Marked handled: a change nobody awaits must not crash the process; the error stays for `synced()`.
		this.#next.catch(() => {});
	}

	/** Starts a sync once the current one (if any) is done and this turn's appends are in. */
	async #nextSync(): Promise<void> {
		await (this.#syncing ?? new Promise<void>((resolve) => setImmediate(resolve))).catch(() => {});
		this.#next = undefined;
		if (this.#error) throw this.#error;
		if (!this.#dirty) return;
		this.#dirty = false;
		this.#syncing = new Promise<void>((resolve, reject) =>
			fdatasync(this.#fd, (error) => {
				this.#syncing = undefined;
				if (!error) return resolve();
				this.#error ??= this.#storeError(error);
				reject(this.#error);
			}),
		);
		return this.#syncing;
	}

	#storeError(error: unknown): TapedeckError {
		const code = (error as NodeJS.ErrnoException).code;
		return new TapedeckError(
			code === 'ENOSPC' ? 'disk_full' : 'io',
			`cannot save the job store ${this.path}: ${(error as Error).message}`,
			{ cause: error },
		);
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
