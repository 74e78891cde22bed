import type { Sink } from './sink.ts';

/** A growable in-memory sink, for tests and for building small files whole. */
export class MemorySink implements Sink {
	#buffer = new Uint8Array(1 << 16);
	#length = 0;

	get position(): number {
		return this.#length;
	}

	write(data: Uint8Array): void {
		this.#reserve(this.#length + data.length);
		this.#buffer.set(data, this.#length);
		this.#length += data.length;
	}

	writeAt(position: number, data: Uint8Array): void {
		if (position < 0 || position + data.length > this.#length) {
			throw new RangeError(`writeAt ${position}+${data.length} is outside the ${this.#length} bytes written`);
		}
		this.#buffer.set(data, position);
	}

	async drain(): Promise<void> {}

	async sync(): Promise<void> {}

	async close(): Promise<void> {}

	/** The bytes written so far, as a view. */
	bytes(): Uint8Array {
		return this.#buffer.subarray(0, this.#length);
	}

	#reserve(size: number): void {
		if (size <= this.#buffer.length) return;
		let capacity = this.#buffer.length;
		while (capacity < size) capacity *= 2;
		const next = new Uint8Array(capacity);
		next.set(this.#buffer.subarray(0, this.#length));
		this.#buffer = next;
	}
}
