/**
 * Reading ISO BMFF box headers (ISO/IEC 14496-12 §4.2) from files and from boxes held in memory,
 * for the tool that rewrites fragmented or cut files (`defragment.ts`). Top-level
 * boxes are visited by reading headers only; just moov and moof are read whole, and mdat is
 * copied in large pieces, so files of any size stream through a fixed buffer.
 */
import type { FileHandle } from 'node:fs/promises';
import { TapedeckError } from '../../src/core/errors.ts';
import { TWO_POW_32 } from '../../src/core/time.ts';
import type { FileSink } from '../../src/sink/file-sink.ts';

export type BoxHeader = {
	readonly type: string;
	/** Offset of the box's first byte (in the file, or in the buffer it was found in). */
	readonly start: number;
	/** 8, or 16 with a 64-bit largesize. */
	readonly headerSize: number;
	/** Whole box, header included. */
	readonly size: number;
};

const COPY_BYTES = 4 << 20;

export const fourcc = (bytes: Uint8Array, at: number): string =>
	String.fromCharCode(bytes[at] as number, bytes[at + 1] as number, bytes[at + 2] as number, bytes[at + 3] as number);

export const readU64 = (view: DataView, at: number): number => view.getUint32(at) * TWO_POW_32 + view.getUint32(at + 4);

/** Reads consecutive big-endian fields of a box held in memory. */
export class FieldReader {
	readonly #view: DataView;
	at: number;

	constructor(view: DataView, at: number) {
		this.#view = view;
		this.at = at;
	}

	u32(): number {
		this.at += 4;
		return this.#view.getUint32(this.at - 4);
	}

	i32(): number {
		this.at += 4;
		return this.#view.getInt32(this.at - 4);
	}

	u64(): number {
		this.at += 8;
		return readU64(this.#view, this.at - 8);
	}
}

/** The boxes inside `bytes[start, end)`; stops at the first header that does not fit. */
export function* childBoxes(bytes: Uint8Array, start: number, end: number): Generator<BoxHeader> {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
	let at = start;
	while (at + 8 <= end) {
		let size = view.getUint32(at);
		let headerSize = 8;
		if (size === 1) {
			if (at + 16 > end) return;
			size = readU64(view, at + 8);
			headerSize = 16;
		} else if (size === 0) {
			size = end - at; // extends to the end of its parent
		}
		if (size < headerSize || at + size > end) return;
		yield { type: fourcc(bytes, at + 4), start: at, headerSize, size };
		at += size;
	}
}

/** The first child of `parent` (held in `bytes`) of type `type`. */
export const findChild = (bytes: Uint8Array, parent: BoxHeader, type: string): BoxHeader | undefined => {
	for (const child of childBoxes(bytes, parent.start + parent.headerSize, parent.start + parent.size)) {
		if (child.type === type) return child;
	}
	return undefined;
};

/** Follows a path of box types down from `parent`. */
export const findPath = (bytes: Uint8Array, parent: BoxHeader, path: readonly string[]): BoxHeader | undefined => {
	let box: BoxHeader | undefined = parent;
	for (const type of path) {
		if (!box) return undefined;
		box = findChild(bytes, box, type);
	}
	return box;
};

/** A sequential reader of one input file. */
export class FileBoxReader {
	readonly path: string;
	readonly size: number;
	readonly #file: FileHandle;
	readonly #header = new Uint8Array(16);
	#copyBuffer: Uint8Array | undefined;

	constructor(path: string, file: FileHandle, size: number) {
		this.path = path;
		this.#file = file;
		this.size = size;
	}

	/**
	 * The header of the top-level box at `position`, or undefined when the file ends inside the
	 * header or the size field is impossible (garbage). `size` may reach past the end of a cut
	 * file: callers check `complete`.
	 */
	async headerAt(position: number): Promise<BoxHeader | undefined> {
		const available = Math.min(16, this.size - position);
		if (available < 8) return undefined;
		await this.#read(this.#header, available, position);
		const view = new DataView(this.#header.buffer);
		let size = view.getUint32(0);
		let headerSize = 8;
		if (size === 1) {
			if (available < 16) return undefined;
			size = readU64(view, 8);
			headerSize = 16;
		} else if (size === 0) {
			size = this.size - position; // extends to the end of the file
		}
		if (size < headerSize) return undefined;
		return { type: fourcc(this.#header, 4), start: position, headerSize, size };
	}

	/** Whether the whole box is in the file. */
	complete(box: BoxHeader): boolean {
		return box.start + box.size <= this.size;
	}

	/** The whole box, header included (for moov and moof). */
	async readBox(box: BoxHeader): Promise<Uint8Array> {
		const bytes = new Uint8Array(box.size);
		await this.#read(bytes, box.size, box.start);
		return bytes;
	}

	/** Copies `[start, end)` of the file to the sink through one reused buffer, draining as needed. */
	async copyTo(sink: FileSink, start: number, end: number): Promise<void> {
		this.#copyBuffer ??= new Uint8Array(COPY_BYTES);
		for (let at = start; at < end; ) {
			const length = Math.min(COPY_BYTES, end - at);
			await this.#read(this.#copyBuffer, length, at);
			sink.write(this.#copyBuffer.subarray(0, length)); // the sink copies into its own chunk
			if (sink.needsDrain) await sink.drain();
			at += length;
		}
	}

	async #read(into: Uint8Array, length: number, position: number): Promise<void> {
		let done = 0;
		while (done < length) {
			const { bytesRead } = await this.#file.read(into, done, length - done, position + done);
			if (bytesRead === 0) throw new TapedeckError('io', `${this.path}: unexpected end of file at ${position + done}`);
			done += bytesRead;
		}
	}
}
