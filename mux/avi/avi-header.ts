/**
 * The AVI header (RIFF 'AVI ' → LIST 'hdrl') and where its patchable fields sit.
 *
 * References: Microsoft "AVI RIFF File Reference" (MainAVIHeader, AVIStreamHeader), OpenDML AVI
 * File Format Extensions 1.02 (§ 'indx' super index, LIST 'odml' → 'dmlh').
 *
 *   RIFF 'AVI '
 *     LIST 'hdrl'
 *       avih                                   MainAVIHeader, 56 bytes
 *       LIST 'strl' × streams
 *         strh                                 AVIStreamHeader, 56 bytes
 *         strf                                 BITMAPINFOHEADER / WAVEFORMATEX
 *         JUNK → indx                          super index, room for `capacity` entries
 *       LIST 'odml'
 *         dmlh                                 total frames over every RIFF
 *     LIST 'movi' …
 *
 * The super index is written as a JUNK chunk and turned into 'indx' when its first entry is
 * written (as ffmpeg does), so a file cut before any standard index exists carries no empty
 * index that would make readers give up on scanning. `readAviLayout` finds the same offsets in
 * an existing file, which is how crash repair patches what the muxer would have patched.
 */
import type { AviStreamFormat } from './avi-stream-format.ts';
import { setFourCc } from './avi-stream-format.ts';

/** MainAVIHeader dwFlags: AVIF_HASINDEX | AVIF_ISINTERLEAVED | AVIF_TRUSTCKTYPE. */
const AVIF_FLAGS = 0x10 | 0x100 | 0x800;
const SUPER_INDEX_HEADER_BYTES = 24;
const SUPER_INDEX_ENTRY_BYTES = 16;
/** dmlh: dwTotalFrames then 61 reserved DWORDs (OpenDML 1.02 ODMLExtendedAVIHeader). */
const DMLH_BYTES = 248;

export type AviStreamLayout = {
	/** File offset of the strh payload. */
	readonly strh: number;
	/** File offset of the strf payload. */
	readonly strf: number;
	/** File offset of the super index chunk header ('JUNK' until first used, then 'indx'). */
	readonly superIndex: number;
	/** Entries the super index has room for. */
	readonly superIndexCapacity: number;
};

export type AviLayout = {
	/** File offset of the avih payload. */
	readonly avih: number;
	readonly streams: readonly AviStreamLayout[];
	/** File offset of the dmlh payload. */
	readonly dmlh: number | undefined;
	/** File offset of the first RIFF's LIST 'movi'. */
	readonly movi: number;
};

/** Field offsets inside strh and avih, for patching. */
export const StrhField = { scale: 20, rate: 24, start: 28, length: 32, suggestedBufferSize: 36 } as const;
export const AvihField = {
	microSecPerFrame: 0,
	maxBytesPerSec: 4,
	totalFrames: 16,
	suggestedBufferSize: 28,
} as const;
/** WAVEFORMATEX nAvgBytesPerSec. */
export const STRF_AVG_BYTES_PER_SEC = 8;

/** Everything from 'RIFF' to the 'movi' FourCC; sizes of the RIFF and movi lists are 0 until patched. */
export const buildAviHeader = (formats: readonly AviStreamFormat[], superIndexCapacity: number): Uint8Array => {
	const w = new LittleEndianWriter();
	// The RIFF and movi sizes stay 0 ("still being written") until the RIFF is closed.
	w.list('RIFF', 'AVI ');
	const hdrl = w.list('LIST', 'hdrl');
	const video = formats.find((f) => f.type === 'vids')?.track.video;
	w.chunk('avih', 56, (at, view) => {
		view.setUint32(at + 0, 40_000, true); // dwMicroSecPerFrame (patched once the frame rate is measured)
		view.setUint32(at + 8, 0, true); // dwPaddingGranularity
		view.setUint32(at + 12, AVIF_FLAGS, true); // dwFlags
		view.setUint32(at + 24, formats.length, true); // dwStreams
		view.setUint32(at + 32, video?.width ?? 0, true); // dwWidth
		view.setUint32(at + 36, video?.height ?? 0, true); // dwHeight
	});
	for (const format of formats) {
		const strl = w.list('LIST', 'strl');
		w.chunk('strh', 56, (at, view, bytes) => {
			setFourCc(bytes, at, format.type); // fccType
			setFourCc(bytes, at + 4, format.handler); // fccHandler
			const audio = format.type === 'auds';
			const rate = format.track.audio?.sampleRate ?? format.track.timescale;
			view.setUint32(at + StrhField.scale, audio ? format.samplesPerFrame : 1, true); // dwScale
			view.setUint32(at + StrhField.rate, audio ? rate : 25, true); // dwRate (video: patched)
			view.setInt32(at + 40, -1, true); // dwQuality: default
			view.setUint32(at + 44, 0, true); // dwSampleSize: 0, one frame per chunk
			if (!audio) {
				view.setInt16(at + 52, format.track.video?.width ?? 0, true); // rcFrame.right
				view.setInt16(at + 54, format.track.video?.height ?? 0, true); // rcFrame.bottom
			}
		});
		w.chunk('strf', format.strf.length, (at, _view, bytes) => bytes.set(format.strf, at));
		const entries = SUPER_INDEX_HEADER_BYTES + SUPER_INDEX_ENTRY_BYTES * superIndexCapacity;
		w.chunk('JUNK', entries, (at, view, bytes) => {
			view.setUint16(at, 4, true); // wLongsPerEntry
			bytes[at + 2] = 0; // bIndexSubType
			bytes[at + 3] = 0; // bIndexType = AVI_INDEX_OF_INDEXES
			view.setUint32(at + 4, 0, true); // nEntriesInUse
			setFourCc(bytes, at + 8, chunkId(formats.indexOf(format), format.suffix)); // dwChunkId
		});
		w.end(strl);
	}
	const odml = w.list('LIST', 'odml');
	w.chunk('dmlh', DMLH_BYTES, () => {});
	w.end(odml);
	w.end(hdrl);
	w.list('LIST', 'movi');
	return w.bytes();
};

/** The chunk id of stream `index`: two decimal digits then the type suffix ('00dc', '01wb'). */
export const chunkId = (index: number, suffix: string): string => `${String(index).padStart(2, '0')}${suffix}`;

/** Finds the patchable fields of an AVI header (ours or a crashed `.part` of ours). Undefined when not AVI. */
export const readAviLayout = (bytes: Uint8Array): AviLayout | undefined => {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (fourCcAt(bytes, 0) !== 'RIFF' || fourCcAt(bytes, 8) !== 'AVI ') return undefined;
	let avih: number | undefined;
	let dmlh: number | undefined;
	const streams: AviStreamLayout[] = [];
	let at = 12;
	while (at + 12 <= bytes.length) {
		const id = fourCcAt(bytes, at);
		const size = view.getUint32(at + 4, true);
		if (id === 'LIST' && fourCcAt(bytes, at + 8) === 'movi') {
			if (avih === undefined) return undefined;
			return { avih, streams, dmlh, movi: at };
		}
		if (id === 'LIST' && fourCcAt(bytes, at + 8) === 'hdrl') {
			walk(bytes, view, at + 12, at + 8 + size, (childId, child, childSize) => {
				if (childId === 'avih') avih = child + 8;
				else if (childId === 'LIST' && fourCcAt(bytes, child + 8) === 'strl') {
					streams.push(readStreamList(bytes, view, child + 12, child + 8 + childSize));
				} else if (childId === 'LIST' && fourCcAt(bytes, child + 8) === 'odml') {
					walk(bytes, view, child + 12, child + 8 + childSize, (grandId, grand) => {
						if (grandId === 'dmlh') dmlh = grand + 8;
					});
				}
			});
		}
		at += 8 + size + (size % 2);
	}
	return undefined;
};

const readStreamList = (bytes: Uint8Array, view: DataView, from: number, end: number): AviStreamLayout => {
	let strh = 0;
	let strf = 0;
	let superIndex = 0;
	let superIndexCapacity = 0;
	walk(bytes, view, from, end, (id, at, size) => {
		if (id === 'strh') strh = at + 8;
		else if (id === 'strf') strf = at + 8;
		else if ((id === 'indx' || id === 'JUNK') && size >= SUPER_INDEX_HEADER_BYTES) {
			superIndex = at;
			superIndexCapacity = Math.floor((size - SUPER_INDEX_HEADER_BYTES) / SUPER_INDEX_ENTRY_BYTES);
		}
	});
	return { strh, strf, superIndex, superIndexCapacity };
};

/** Calls `visit` for each chunk in [from, end) that fits in `bytes`. */
const walk = (
	bytes: Uint8Array,
	view: DataView,
	from: number,
	end: number,
	visit: (id: string, at: number, size: number) => void,
): void => {
	let at = from;
	const stop = Math.min(end, bytes.length);
	while (at + 8 <= stop) {
		const size = view.getUint32(at + 4, true);
		visit(fourCcAt(bytes, at), at, size);
		at += 8 + size + (size % 2);
	}
};

export const fourCcAt = (bytes: Uint8Array, at: number): string =>
	String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);

/** Builds RIFF structures: chunks and lists whose sizes are filled in when they end. */
class LittleEndianWriter {
	#bytes = new Uint8Array(4096);
	#view = new DataView(this.#bytes.buffer);
	#length = 0;

	/** Starts a list ('RIFF' or 'LIST') of `type`; returns its offset for `end`. */
	list(id: string, type: string): number {
		const at = this.#reserve(12);
		setFourCc(this.#bytes, at, id);
		setFourCc(this.#bytes, at + 8, type);
		return at;
	}

	end(listAt: number): void {
		this.#view.setUint32(listAt + 4, this.#length - listAt - 8, true);
	}

	/** A chunk of `size` bytes (padded to even), its payload written by `fill` at the given offset. */
	chunk(id: string, size: number, fill: (at: number, view: DataView, bytes: Uint8Array) => void): void {
		const at = this.#reserve(8 + size + (size % 2));
		setFourCc(this.#bytes, at, id);
		this.#view.setUint32(at + 4, size, true);
		fill(at + 8, this.#view, this.#bytes);
	}

	bytes(): Uint8Array {
		return this.#bytes.slice(0, this.#length);
	}

	#reserve(count: number): number {
		const at = this.#length;
		if (at + count > this.#bytes.length) {
			const grown = new Uint8Array(Math.max(this.#bytes.length * 2, at + count));
			grown.set(this.#bytes);
			this.#bytes = grown;
			this.#view = new DataView(grown.buffer);
		}
		this.#length += count;
		return at;
	}
}
