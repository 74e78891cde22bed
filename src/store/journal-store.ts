import {
	chmodSync,
	closeSync,
	fchmodSync,
	fdatasync,
	fstatSync,
	mkdirSync,
	openSync,
	renameSync,
	rmSync,
	writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { TapedeckError } from '../core/errors.ts';
import { forEachLine, type JournalLine } from './journal-lines.ts';
import { endsWithNewline, syncDirectory, writeCompacted } from './journal-rewrite.ts';
import { LiveDocuments } from './live-documents.ts';

export type JournalStoreOptions<T, F> = {
	/** Turns a first-format document (items inside, older field names) into a document and its items. */
	readonly upgrade?: (legacy: unknown) => { readonly doc: T; readonly items: readonly F[] };
	/** The journal is rewritten once it is this many times the size of the live state. Default 2. */
	readonly compactRatio?: number;
	/** …and at least this many bytes (a small journal is left alone). Default 1 MiB. */
	readonly compactMinBytes?: number;
};

/**
 * A small embedded store of JSON documents keyed by `id`, each with a list of items keyed by `id`.
 * Every change is one JSON line appended to the journal at once (so a killed process loses nothing
 * the kernel holds) and made durable by a group commit: the changes of one event-loop turn share one
 * fdatasync on the libuv pool, and `synced()` resolves once every change made before it is on disk —
 * acknowledge a change to a user only after it.
 *
 * The journal's size follows the live state: on open, and whenever it grows past `compactRatio` times
 * the live size, it is rewritten with one line per live document and item, then atomically renamed
 * over the old one. It is read in chunks, so a journal larger than any string still opens. A torn
 * last line from a crash mid-append is skipped. The folder is made 0700 and the files 0600 whatever
 * the umask: jobs hold stream passphrases and passwords.
 */
export class JournalStore<T extends { readonly id: string }, F extends { readonly id: string } = never> {
	readonly path: string;
	readonly #options: JournalStoreOptions<T, F>;
	readonly #live = new LiveDocuments<T, F>();
	/** Bytes of the journal file now. */
	#journalBytes = 0;
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
	/**
	 * The journal ends inside a line (torn by a crash or a short write, and not compacted away): the
	 * next line starts with a newline.
	 */
	#tornTail = false;
	/** After a failed compaction, the next is tried only once the journal has grown this far. */
	#compactAfter = 0;

	constructor(path: string, options: JournalStoreOptions<T, F> = {}) {
		this.path = path;
		this.#options = options;
		mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
		chmodSync(dirname(path), 0o700);
		this.skippedLines = this.#replay();
		this.#fd = this.#open();
	}

	get(id: string): T | undefined {
		return this.#live.get(id);
	}

	all(): T[] {
		return this.#live.all();
	}

	/** The items of document `id`, in the order they were first added. */
	items(id: string): F[] {
		return this.#live.items(id);
	}

	item(id: string, itemId: string): F | undefined {
		return this.#live.item(id, itemId);
	}

	itemCount(id: string): number {
		return this.#live.itemCount(id);
	}

	/** Bytes of the journal file now, and of the live state it holds (compaction keeps them close). */
	get size(): { readonly journal: number; readonly live: number } {
		return { journal: this.#journalBytes, live: this.#live.bytes };
	}

	/** Saves a document's own fields; its items are kept. */
	put(value: T): void {
		const bytes = this.#append({ op: 'doc', value });
		this.#live.setDocument(value, bytes);
	}

	/** Removes a document with its items. */
	delete(id: string): boolean {
		if (!this.#live.has(id)) return false;
		this.#append({ op: 'drop', id });
		this.#live.dropDocument(id);
		return true;
	}

	/** Adds an item to document `doc`, or replaces the item with the same id. */
	putItem(doc: string, value: F): void {
		if (!this.#live.has(doc)) throw new TapedeckError('not_found', `the job store has no document "${doc}"`);
		const bytes = this.#append({ op: 'item', doc, value });
		this.#live.setItem(doc, value, bytes);
	}

	deleteItem(doc: string, id: string): boolean {
		if (!this.#live.hasItem(doc, id)) return false;
		this.#append({ op: 'unitem', doc, id });
		this.#live.dropItem(doc, id);
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

	/** Writes one line now; returns its size in bytes. */
	#append(line: JournalLine<T, F>): number {
		if (this.#closed) throw new TapedeckError('io', `the job store ${this.path} is closed`);
		if (this.#error) throw this.#error;
		const text = `${this.#tornTail ? '\n' : ''}${JSON.stringify(line)}\n`;
		let bytes: number;
		try {
			bytes = writeSync(this.#fd, text);
		} catch (error) {
			throw this.#storeError(error);
		}
		// A short write (the disk filled up mid-line) leaves a torn line: a later one must not join it.
		this.#tornTail = bytes < Buffer.byteLength(text);
		if (this.#tornTail) throw this.#storeError(Object.assign(new Error('short write'), { code: 'ENOSPC' }));
		this.#journalBytes += bytes;
		this.#dirty = true;
		if (!this.#next) {
			this.#next = this.#nextSync();
			// Marked handled: a change nobody awaits must not crash the process; the error stays for `synced()`.
			this.#next.catch(() => {});
		}
		return bytes;
	}

	/**
	 * Starts a sync once the current one (if any) is done and this turn's appends are in. A journal
	 * grown past its bound is compacted instead: the rewrite is fsynced, so it is the sync.
	 */
	async #nextSync(): Promise<void> {
		await (this.#syncing ?? new Promise<void>((resolve) => setImmediate(resolve))).catch(() => {});
		this.#next = undefined;
		if (this.#error) throw this.#error;
		if (!this.#dirty) return;
		this.#dirty = false;
		const ratio = this.#options.compactRatio ?? 2;
		const floor = this.#options.compactMinBytes ?? 1 << 20;
		const grown = this.#journalBytes > floor && this.#journalBytes > this.#compactAfter;
		if (grown && this.#journalBytes > ratio * this.#live.bytes) {
			const old = this.#fd;
			let compacted: boolean;
			try {
				compacted = this.#tryCompact();
			} catch (error) {
				this.#error ??= this.#storeError(error);
				throw this.#error;
			}
			// A compaction that failed (a full disk) leaves the old journal in place: it is synced instead.
			if (compacted) return closeSync(old);
			this.#compactAfter = this.#journalBytes + floor;
		}
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
		if (code === 'ENOSPC' || code === 'EDQUOT') {
			return new TapedeckError('disk_full', `no space left on device: cannot save the job store ${this.path}`, {
				cause: error,
			});
		}
		return new TapedeckError('io', `cannot save the job store ${this.path}: ${(error as Error).message}`, {
			cause: error,
		});
	}

	/** Reads the journal line by line in bounded chunks; returns the number of lines skipped. */
	#replay(): number {
		let skipped = 0;
		forEachLine(this.path, (text) => {
			if (!this.#replayLine(text)) skipped++;
		});
		return skipped;
	}

	/** Applies one line; false when it cannot be read (torn, or of an unknown shape). */
	#replayLine(text: string): boolean {
		if (text.trim() === '') return true;
		let line: JournalLine<T, F>;
		try {
			line = JSON.parse(text) as JournalLine<T, F>;
		} catch {
			return false;
		}
		switch (line.op) {
			case 'doc':
				this.#live.setDocument(line.value, 0);
				return true;
			case 'item':
				if (!this.#live.has(line.doc)) return false;
				this.#live.setItem(line.doc, line.value, 0);
				return true;
			case 'unitem':
				this.#live.dropItem(line.doc, line.id);
				return true;
			case 'drop':
			case 'delete':
				this.#live.dropDocument(line.id);
				return true;
			case 'put': {
				const upgraded = this.#options.upgrade?.(line.value);
				if (!upgraded) return false;
				this.#live.dropDocument(upgraded.doc.id);
				this.#live.setDocument(upgraded.doc, 0);
				for (const item of upgraded.items) this.#live.setItem(upgraded.doc.id, item, 0);
				return true;
			}
			default:
				return false;
		}
	}

	/**
	 * The journal open for appending: compacted when the disk lets it, else as it is (a full disk
	 * must not keep the server from starting: compaction only saves space).
	 */
	#open(): number {
		let fd: number | undefined;
		try {
			if (this.#tryCompact()) return this.#fd;
			fd = openSync(this.path, 'a+', 0o600);
			fchmodSync(fd, 0o600);
			const size = fstatSync(fd).size;
			this.#journalBytes = size;
			this.#tornTail = size > 0 && !endsWithNewline(fd, size);
			this.#compactAfter = size + (this.#options.compactMinBytes ?? 1 << 20);
			return fd;
		} catch (error) {
			if (fd !== undefined) closeSync(fd);
			throw this.#storeError(error);
		}
	}

	/**
	 * Rewrites the journal with one line per live document and item (which sets their sizes), makes it
	 * durable, renames it over the old one and makes `#fd` the new journal opened for appending. False
	 * when it could not be written (a full disk): the temporary file is removed and the old journal stays.
	 */
	#tryCompact(): boolean {
		const temp = `${this.path}.compact`;
		let written: number;
		try {
			written = writeCompacted(temp, this.#live);
			renameSync(temp, this.path);
		} catch {
			rmSync(temp, { force: true });
			return false;
		}
		// The rewrite is the journal now: what fails from here is the store's error.
		this.#journalBytes = written;
		syncDirectory(dirname(this.path));
		const journal = openSync(this.path, 'a', 0o600);
		fchmodSync(journal, 0o600);
		this.#fd = journal;
		this.#tornTail = false;
		return true;
	}
}
