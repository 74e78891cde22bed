import { closeSync, constants, fdatasync, fsync, openSync, write } from 'node:fs';
import { TapedeckError } from '../core/errors.ts';
import type { Sink } from './sink.ts';

/** Batch size of positional writes: big enough to amortise syscalls, small enough to bound memory per file. */
const CHUNK_BYTES = 1 << 20;
/** `drain()` waits while more than this many bytes are queued for the OS. */
const HIGH_WATER_BYTES = 8 << 20;

/**
 * Written chunks kept for reuse, up to what the high-water mark lets queue up: a sink only ever
 * holds as many as were in flight at once (one or two for a live recording), and a remux that fills
 * the queue reuses them instead of allocating fresh ones, whose page faults cost more than the copy.
 */
const SPARE_CHUNKS = HIGH_WATER_BYTES / CHUNK_BYTES;
/**
 * Most bytes queued for the OS before the sink gives up: a producer that does not wait on `drain()`
 * (a live recording cannot hold its stream back) meets a disk slower than the stream, and a queue
 * without bound would take all memory. Past it the sink fails with an error that says so.
 */
const DEFAULT_MAX_QUEUED_BYTES = 64 << 20;
/**
 * `exclusive`: create a new file, never open an existing one or follow a symbolic link in its last
 * component (O_CREAT | O_EXCL | O_NOFOLLOW): two writers never share a file, a planted link is refused.
 */
const EXCLUSIVE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export type FileSinkOptions = {
	readonly append?: boolean;
	readonly startPosition?: number;
	readonly durable?: boolean;
	readonly exclusive?: boolean;
	readonly maxQueuedBytes?: number;
};

/** `chunk`: the whole chunk buffer `data` is a view of, recycled once written. */
type PendingWrite = { readonly data: Uint8Array; readonly position: number; readonly chunk?: Uint8Array };

/**
 * A buffered file sink: appends gather into 1 MiB chunks written with positional `write(2)`
 * calls in order; `writeAt` patches the unflushed chunk in memory or queues a positional write.
 * The first I/O error is kept and rethrown (ENOSPC as `disk_full`) so no caller mistakes a
 * failed file for a good one.
 */
export class FileSink implements Sink {
	readonly path: string;
	readonly #fd: number;
	#chunk: Uint8Array = new Uint8Array(CHUNK_BYTES);
	/** Chunks whose bytes the OS has taken: reused instead of allocating (and page-faulting) fresh ones. */
	readonly #spareChunks: Uint8Array[] = [];
	#chunkStart = 0;
	#chunkLength = 0;
	#queue: PendingWrite[] = [];
	#queuedBytes = 0;
	#writing = false;
	#error: TapedeckError | undefined;
	#waiters: Array<() => void> = [];
	#closed: Promise<void> | undefined;
	readonly #durable: boolean;
	readonly #maxQueuedBytes: number;

	/**
	 * Opens (creating or truncating) `path` for writing; `exclusive` creates it new or fails (see
	 * EXCLUSIVE_FLAGS). `durable` (default true) fsyncs at close, so a recording that reports a closed
	 * file has it on disk; a one-shot remux can skip it, as ffmpeg does.
	 */
	constructor(path: string, options: FileSinkOptions = {}) {
		this.path = path;
		this.#durable = options.durable ?? true;
		this.#maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
		try {
			this.#fd = openSync(path, options.exclusive ? EXCLUSIVE_FLAGS : options.append ? 'r+' : 'w', 0o644);
		} catch (error) {
			throw toSinkError(path, error);
		}
		this.#chunkStart = options.startPosition ?? 0;
	}

	get position(): number {
		return this.#chunkStart + this.#chunkLength;
	}

	write(data: Uint8Array): void {
		this.#throwIfFailed();
		let offset = 0;
		while (offset < data.length) {
			const room = CHUNK_BYTES - this.#chunkLength;
			const take = Math.min(room, data.length - offset);
			this.#chunk.set(data.subarray(offset, offset + take), this.#chunkLength);
			this.#chunkLength += take;
			offset += take;
			if (this.#chunkLength === CHUNK_BYTES) this.#flushChunk();
		}
	}

	writeAt(position: number, data: Uint8Array): void {
		this.#throwIfFailed();
		const end = position + data.length;
		if (position < 0 || end > this.position) {
			throw new RangeError(`writeAt ${position}+${data.length} is outside the ${this.position} bytes written`);
		}
		if (position >= this.#chunkStart) {
			this.#chunk.set(data, position - this.#chunkStart);
			return;
		}
		const head = Math.min(data.length, this.#chunkStart - position);
		this.#enqueue({ data: data.slice(0, head), position });
		if (head < data.length) this.#chunk.set(data.subarray(head), 0);
	}

	/** Hands the partial chunk to the OS too, then waits until the queue is under the high-water mark. */
	async drain(): Promise<void> {
		if (this.#chunkLength > 0) this.#flushChunk();
		while (this.#queuedBytes > HIGH_WATER_BYTES || (this.#writing && this.#queuedBytes > 0)) {
			this.#throwIfFailed();
			await new Promise<void>((resolve) => this.#waiters.push(resolve));
		}
		this.#throwIfFailed();
	}

	/**
	 * Past half the queue's bound: a live producer drops from here (and counts), so the bound itself,
	 * which fails the file, is only met by a producer that neither drains nor drops.
	 */
	get backlogged(): boolean {
		return this.#queuedBytes > this.#maxQueuedBytes / 2;
	}

	/** True when more than the high-water mark waits for the OS: the producer should `await drain()`. */
	get needsDrain(): boolean {
		return this.#queuedBytes > HIGH_WATER_BYTES;
	}

	close(): Promise<void> {
		this.#closed ??= this.#close();
		return this.#closed;
	}

	/** Makes everything written so far durable without closing (for crash safety at fragment boundaries). */
	async sync(): Promise<void> {
		await this.drain();
		await this.#syncWith(fdatasync);
	}

	/** A failed sync fails the sink: what the OS held may be lost, so nothing later may pass as good. */
	#syncWith(sync: typeof fsync): Promise<void> {
		return new Promise<void>((resolve, reject) =>
			sync(this.#fd, (error) => {
				if (!error) return resolve();
				this.#error ??= toSinkError(this.path, error);
				reject(this.#error);
			}),
		);
	}

	async #close(): Promise<void> {
		try {
			await this.drain();
			// On the libuv pool, not the event loop: a sync blocks for as long as the disk takes, and
			// every other stream waits behind it. close() still resolves only once the data is on disk.
			if (this.#durable) await this.#syncWith(fsync);
		} catch (error) {
			this.#error ??= toSinkError(this.path, error);
		} finally {
			closeSync(this.#fd);
		}
		this.#throwIfFailed();
	}

	#flushChunk(): void {
		const chunk = this.#chunk;
		this.#enqueue({ data: chunk.subarray(0, this.#chunkLength), position: this.#chunkStart, chunk });
		this.#chunkStart += this.#chunkLength;
		this.#chunkLength = 0;
		this.#chunk = this.#spareChunks.pop() ?? new Uint8Array(CHUNK_BYTES);
	}

	#enqueue(pending: PendingWrite): void {
		if (this.#queuedBytes + pending.data.length > this.#maxQueuedBytes) {
			this.#error ??= new TapedeckError(
				'io',
				`write queue of ${this.path} passed ${this.#maxQueuedBytes} bytes: the disk takes the data more slowly than it arrives`,
			);
			this.#throwIfFailed();
		}
		this.#queue.push(pending);
		this.#queuedBytes += pending.data.length;
		if (!this.#writing) this.#writeNext(0);
	}

	#writeNext(done: number): void {
		const head = this.#queue[0];
		if (!head || this.#error) {
			this.#writing = false;
			this.#wake();
			return;
		}
		this.#writing = true;
		write(this.#fd, head.data, done, head.data.length - done, head.position + done, (error, written) => {
			if (error) {
				this.#error ??= toSinkError(this.path, error);
				this.#writing = false;
				this.#wake();
				return;
			}
			if (done + written < head.data.length) {
				this.#writeNext(done + written);
				return;
			}
			this.#queue.shift();
			this.#queuedBytes -= head.data.length;
			if (head.chunk && this.#spareChunks.length < SPARE_CHUNKS) this.#spareChunks.push(head.chunk);
			this.#wake();
			this.#writeNext(0);
		});
	}

	#wake(): void {
		const waiters = this.#waiters;
		this.#waiters = [];
		for (const resolve of waiters) resolve();
	}

	#throwIfFailed(): void {
		if (this.#error) throw this.#error;
	}
}

/** Maps an fs error to a TapedeckError that names the file and what the user can do. */
export const toSinkError = (path: string, error: unknown): TapedeckError => {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	if (code === 'ENOSPC' || code === 'EDQUOT') {
		return new TapedeckError(
			'disk_full',
			`no space left on device: disk full while writing ${path}; free space and retry`,
			{
				cause: error,
			},
		);
	}
	if (code === 'EEXIST') {
		return new TapedeckError('conflict', `${path} already exists: it is never overwritten`, { cause: error });
	}
	if (code === 'ELOOP') {
		return new TapedeckError('io', `${path} is a symbolic link: files are never written through one`, {
			cause: error,
		});
	}
	if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
		return new TapedeckError('io', `no permission to write ${path} (${code})`, { cause: error });
	}
	return new TapedeckError('io', `cannot write ${path}: ${(error as Error)?.message ?? String(error)}`, {
		cause: error,
	});
};
