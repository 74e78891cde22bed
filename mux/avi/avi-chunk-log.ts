/**
 * The chunks of one RIFF's movi list, as growable typed-array columns (never one object per
 * chunk): what its idx1 and ix## indexes are built from.
 */
export class AviChunkLog {
	/** File offset of each chunk header (can pass 2^32: a double, not a Uint32). */
	positions = new Float64Array(1024);
	/** Payload bytes (without the pad byte). */
	sizes = new Uint32Array(1024);
	streams = new Uint8Array(1024);
	/** 1 for a keyframe (every audio frame is one). */
	keys = new Uint8Array(1024);
	count = 0;

	add(position: number, size: number, stream: number, key: boolean): void {
		if (this.count === this.positions.length) this.#grow();
		this.positions[this.count] = position;
		this.sizes[this.count] = size;
		this.streams[this.count] = stream;
		this.keys[this.count] = key ? 1 : 0;
		this.count++;
	}

	clear(): void {
		this.count = 0;
	}

	/** Chunks of `stream` in this log. */
	countOf(stream: number): number {
		let n = 0;
		for (let i = 0; i < this.count; i++) if (this.streams[i] === stream) n++;
		return n;
	}

	#grow(): void {
		const size = this.positions.length * 2;
		const positions = new Float64Array(size);
		const sizes = new Uint32Array(size);
		const streams = new Uint8Array(size);
		const keys = new Uint8Array(size);
		positions.set(this.positions);
		sizes.set(this.sizes);
		streams.set(this.streams);
		keys.set(this.keys);
		this.positions = positions;
		this.sizes = sizes;
		this.streams = streams;
		this.keys = keys;
	}
}
