import { copyBytes } from './copy-bytes.ts';

/**
 * A byte buffer reused across units (PES payloads, access units): it grows by doubling and never
 * shrinks, so a steady stream allocates nothing once the largest unit has been seen.
 */
export class GrowableBuffer {
	bytes: Uint8Array;
	length = 0;

	constructor(initialCapacity = 4096) {
		this.bytes = new Uint8Array(initialCapacity);
	}

	/** Makes room for `capacity` bytes in total, keeping the first `length`. */
	reserve(capacity: number): void {
		if (capacity <= this.bytes.length) return;
		let size = this.bytes.length * 2;
		while (size < capacity) size *= 2;
		const next = new Uint8Array(size);
		next.set(this.bytes.subarray(0, this.length));
		this.bytes = next;
	}

	/** Appends `data[start, end)`. */
	append(data: Uint8Array, start = 0, end = data.length): void {
		const count = end - start;
		this.reserve(this.length + count);
		copyBytes(data, start, this.bytes, this.length, count);
		this.length += count;
	}

	/** A view of what was written; valid until the next `reserve`/`append` that grows. */
	view(): Uint8Array {
		return this.bytes.subarray(0, this.length);
	}
}
