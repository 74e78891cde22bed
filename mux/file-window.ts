import type { FileHandle } from 'node:fs/promises';

/** Bytes read per refill: big enough that walking chunk headers costs few syscalls. */
const WINDOW_BYTES = 1 << 20;

/**
 * Random-access reads of a large file through one reused window, for crash repair walking tag or
 * chunk headers front to back: a read inside the window is a view, one outside refills it.
 */
export class FileWindow {
	readonly size: number;
	readonly #file: FileHandle;
	#buffer = new Uint8Array(WINDOW_BYTES);
	#start = 0;
	#length = 0;

	constructor(file: FileHandle, size: number) {
		this.#file = file;
		this.size = size;
	}

	/** `count` bytes at `position` (fewer at the end of the file), valid until the next call. */
	async read(position: number, count: number): Promise<Uint8Array> {
		const end = Math.min(position + count, this.size);
		if (position < this.#start || end > this.#start + this.#length) {
			if (count > this.#buffer.length) this.#buffer = new Uint8Array(count);
			const { bytesRead } = await this.#file.read(this.#buffer, 0, this.#buffer.length, position);
			this.#start = position;
			this.#length = bytesRead;
		}
		return this.#buffer.subarray(position - this.#start, Math.max(position, end) - this.#start);
	}
}
