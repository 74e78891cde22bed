/**
 * The byte layout of a progressive file: ftyp, one mdat holding every sample, then moov.
 * mdat's header is written before its size is known, so it is reserved with room for a 64-bit
 * size (ISO/IEC 14496-12 §4.2 `largesize`) and patched at the end: files past 4 GiB need no
 * rewrite. MP4 always uses the 16-byte largesize header; MOV writes a `wide` atom and a 32-bit
 * mdat header, and turns the pair into a 64-bit header only when needed (QTFF "wide" atom).
 */
import { TWO_POW_32 } from '../../src/core/time.ts';
import type { Sink } from '../../src/sink/sink.ts';
import { BoxWriter } from './box-writer.ts';
import type { BrandProfile } from './brands.ts';
import { type MovieTrack, writeFileType, writeMovie } from './movie-box.ts';

const MDAT_HEADER_BYTES = 16;

export class ProgressiveLayout {
	readonly #sink: Sink;
	readonly #brand: BrandProfile;
	readonly #forceCo64: boolean;
	#mdatStart = -1;

	constructor(sink: Sink, brand: BrandProfile, options: { forceCo64?: boolean } = {}) {
		this.#sink = sink;
		this.#brand = brand;
		this.#forceCo64 = options.forceCo64 ?? false;
	}

	/** Writes ftyp and the mdat header; samples follow at the sink's position. Returns the bytes written. */
	writeHead(): number {
		const start = this.#sink.position;
		const w = new BoxWriter(64);
		writeFileType(w, this.#brand);
		this.#mdatStart = start + w.length;
		if (this.#brand.quickTime) {
			w.u32(8); // size
			w.fourcc('wide'); // type: room for mdat's 64-bit size
			w.u32(0); // size, patched by finish()
			w.fourcc('mdat'); // type
		} else {
			w.u32(1); // size = 1: the 64-bit largesize follows
			w.fourcc('mdat'); // type
			w.u64(0); // largesize, patched by finish()
		}
		this.#sink.write(w.bytes().slice());
		return w.length;
	}

	/** Patches mdat's size to cover everything written since `writeHead`, then appends moov. Returns moov's size. */
	finish(tracks: readonly MovieTrack[]): number {
		const mdatSize = this.#sink.position - this.#mdatStart;
		const header = new BoxWriter(MDAT_HEADER_BYTES);
		if (this.#brand.quickTime && mdatSize - 8 < TWO_POW_32) {
			header.u32(mdatSize - 8); // size: mdat starts after the 8-byte wide atom
			header.fourcc('mdat');
			this.#sink.writeAt(this.#mdatStart + 8, header.bytes().slice());
		} else {
			header.u32(1); // size = 1: largesize follows
			header.fourcc('mdat');
			header.u64(mdatSize); // largesize
			this.#sink.writeAt(this.#mdatStart, header.bytes().slice());
		}
		const w = new BoxWriter(1 << 16);
		writeMovie(w, tracks, { brand: this.#brand, forceCo64: this.#forceCo64 });
		this.#sink.write(w.bytes().slice());
		return w.length;
	}
}
