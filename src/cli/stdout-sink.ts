/**
 * `tapedeck remux <input> -`: the output file is standard output, for piping into a player or
 * another tool. A pipe cannot seek, so only containers written front to back go there (TS,
 * fragmented MP4, FLV); FLV's header patch at the end (duration, file size) lands only while its
 * bytes are still buffered, as ffmpeg leaves those fields on a pipe.
 * When the reader goes away (`| head`), the write fails with EPIPE: that is the user's choice to
 * stop, so it ends the remux with an OutputClosedError the CLI turns into a quiet exit.
 */
import type { Writable } from 'node:stream';
import { TapedeckError } from '../core/errors.ts';
import type { Sink } from '../sink/sink.ts';

/** Bytes gathered before one write to the pipe. */
const CHUNK_BYTES = 1 << 20;

/** The reader of standard output closed it. */
export class OutputClosedError extends TapedeckError {
	constructor(options?: { cause?: unknown }) {
		super('io', 'standard output was closed by its reader', options);
	}
}

export class StdoutSink implements Sink {
	readonly #stream: Writable;
	#chunk = new Uint8Array(CHUNK_BYTES);
	#chunkStart = 0;
	#chunkLength = 0;
	#error: Error | undefined;
	readonly #onError = (error: NodeJS.ErrnoException) => {
		this.#error ??=
			error.code === 'EPIPE'
				? new OutputClosedError({ cause: error })
				: new TapedeckError('io', `cannot write to standard output: ${error.message}`, { cause: error });
	};

	constructor(stream: Writable = process.stdout) {
		this.#stream = stream;
		stream.on('error', this.#onError);
	}

	get position(): number {
		return this.#chunkStart + this.#chunkLength;
	}

	write(data: Uint8Array): void {
		let from = 0;
		while (from < data.length) {
			const count = Math.min(data.length - from, CHUNK_BYTES - this.#chunkLength);
			this.#chunk.set(data.subarray(from, from + count), this.#chunkLength);
			this.#chunkLength += count;
			from += count;
			if (this.#chunkLength === CHUNK_BYTES) this.#flush();
		}
	}

	/** Patches bytes still buffered; bytes already in the pipe stay as they were (see the file comment). */
	writeAt(position: number, data: Uint8Array): void {
		const offset = position - this.#chunkStart;
		if (offset < 0 || offset + data.length > this.#chunkLength) return;
		this.#chunk.set(data, offset);
	}

	/** A pipe has nothing to make durable: syncing is handing the bytes to it. */
	sync(): Promise<void> {
		return this.drain();
	}

	async drain(): Promise<void> {
		this.#flush();
		if (this.#error) throw this.#error;
		if (!this.#stream.writableNeedDrain) return;
		await new Promise<void>((resolve) => {
			const done = () => {
				this.#stream.off('drain', done);
				this.#stream.off('error', done);
				resolve();
			};
			this.#stream.on('drain', done);
			this.#stream.on('error', done);
		});
		if (this.#error) throw this.#error;
	}

	/** Hands over the last bytes; the error listener stays, for a reader that leaves while they are on their way. */
	async close(): Promise<void> {
		await this.drain();
	}

	/** Hands the gathered bytes to the stream (which keeps the buffer) and starts a fresh one. */
	#flush(): void {
		if (this.#chunkLength === 0 || this.#error) return;
		this.#stream.write(this.#chunk.subarray(0, this.#chunkLength));
		this.#chunkStart += this.#chunkLength;
		this.#chunk = new Uint8Array(CHUNK_BYTES);
		this.#chunkLength = 0;
	}
}
