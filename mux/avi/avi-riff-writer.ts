/**
 * Writes movi chunks across RIFFs and closes each RIFF with its indexes; shared by the AVI muxer
 * and crash repair (which resumes it on a truncated `.part`).
 *
 * References: Microsoft "AVI RIFF File Reference" (idx1, AVIOLDINDEX); OpenDML AVI File Format
 * Extensions 1.02 (AVIX RIFFs, AVISTDINDEX 'ix##', AVISUPERINDEX 'indx', dmlh).
 *
 * Each RIFF holds at most about `riffSizeLimit` bytes. Closing one writes, inside its movi list,
 * one standard index per stream ('ix00', 'ix01', …), points the stream's super index at it,
 * fixes the list and RIFF sizes, and for the first RIFF appends the legacy idx1 that
 * pre-OpenDML players read. Later RIFFs are `RIFF 'AVIX'` with a `LIST 'movi'`.
 */
import type { Sink } from '../../src/sink/sink.ts';
import { AviChunkLog } from './avi-chunk-log.ts';
import { AvihField, type AviLayout, chunkId, STRF_AVG_BYTES_PER_SEC, StrhField } from './avi-header.ts';
import { setFourCc } from './avi-stream-format.ts';

/** idx1 dwFlags AVIIF_KEYFRAME. */
const AVIIF_KEYFRAME = 0x10;
/** AVISTDINDEX entry dwSize bit 31: the chunk is not a keyframe. */
const DELTA_FRAME = 0x80000000;
const TWO_POW_32 = 4294967296;
const PAD = new Uint8Array(1);

export type AviStreamInfo = {
	/** 'dc' or 'wb'. */
	readonly suffix: string;
	readonly type: 'vids' | 'auds';
	/** strh dwScale / dwRate: seconds per chunk = scale / rate. */
	scale: number;
	rate: number;
	/** strh dwStart: chunks of silence/blank before the first one, so streams keep their offsets. */
	start: number;
};

/** Counters that survive RIFF boundaries (and that repair rebuilds by scanning). */
export type AviTotals = {
	/** Chunks per stream over every RIFF (a video chunk is a frame, an audio chunk a frame). */
	readonly chunks: number[];
	/** Chunks per stream in the first RIFF (avih dwTotalFrames counts these). */
	readonly firstRiffChunks: number[];
	readonly bytes: number[];
	readonly maxChunkBytes: number[];
	/** Super index entries written per stream. */
	readonly superIndexUsed: number[];
};

export const emptyTotals = (streams: number): AviTotals => ({
	chunks: new Array<number>(streams).fill(0),
	firstRiffChunks: new Array<number>(streams).fill(0),
	bytes: new Array<number>(streams).fill(0),
	maxChunkBytes: new Array<number>(streams).fill(0),
	superIndexUsed: new Array<number>(streams).fill(0),
});

/** Where writing resumes: the current RIFF and its movi list. */
export type AviRiffPosition = {
	/** 1 for the first RIFF ('AVI '), 2+ for AVIX RIFFs. */
	readonly riffNumber: number;
	readonly riffStart: number;
	readonly moviStart: number;
};

export class AviRiffWriter {
	readonly #sink: Sink;
	readonly #layout: AviLayout;
	readonly #streams: readonly AviStreamInfo[];
	readonly #limit: number;
	readonly totals: AviTotals;
	readonly #log: AviChunkLog;
	#riffNumber: number;
	#riffStart: number;
	#moviStart: number;

	constructor(
		sink: Sink,
		layout: AviLayout,
		streams: readonly AviStreamInfo[],
		riffSizeLimit: number,
		resume?: { position: AviRiffPosition; totals: AviTotals; log: AviChunkLog },
	) {
		this.#sink = sink;
		this.#layout = layout;
		this.#streams = streams;
		this.#limit = riffSizeLimit;
		this.totals = resume?.totals ?? emptyTotals(streams.length);
		this.#log = resume?.log ?? new AviChunkLog();
		this.#riffNumber = resume?.position.riffNumber ?? 1;
		this.#riffStart = resume?.position.riffStart ?? 0;
		this.#moviStart = resume?.position.moviStart ?? layout.movi;
	}

	/** Writes one chunk of `size` bytes made of `parts` (a RIFF is closed first if it would overflow). */
	writeChunk(stream: number, parts: readonly Uint8Array[], size: number, keyframe: boolean): void {
		const sink = this.#sink;
		if (this.#log.count > 0 && sink.position + 8 + size + this.#indexBytes() - this.#riffStart > this.#limit) {
			this.#closeRiff();
			this.#openRiff();
		}
		const info = this.#streams[stream]!;
		const header = new Uint8Array(8);
		setFourCc(header, 0, chunkId(stream, info.suffix));
		new DataView(header.buffer).setUint32(4, size, true);
		this.#log.add(sink.position, size, stream, keyframe);
		sink.write(header);
		for (const part of parts) if (part.length > 0) sink.write(part);
		if (size % 2) sink.write(PAD);
		const totals = this.totals;
		totals.chunks[stream]!++;
		if (this.#riffNumber === 1) totals.firstRiffChunks[stream]!++;
		totals.bytes[stream]! += size;
		if (size > totals.maxChunkBytes[stream]!) totals.maxChunkBytes[stream] = size;
	}

	/** Closes the current RIFF and patches every header total. */
	finish(): void {
		this.#closeRiff();
		this.patchTotals();
	}

	/** avih, strh, strf and dmlh totals from `totals` and the stream timing. */
	patchTotals(): void {
		const { chunks, firstRiffChunks, bytes, maxChunkBytes } = this.totals;
		const layout = this.#layout;
		const video = this.#streams.findIndex((s) => s.type === 'vids');
		let seconds = 0;
		this.#streams.forEach((info, i) => {
			const strh = layout.streams[i]?.strh;
			if (!strh) return;
			const streamSeconds = (chunks[i]! * info.scale) / info.rate;
			seconds = Math.max(seconds, streamSeconds);
			this.#patchU32(strh + StrhField.scale, info.scale);
			this.#patchU32(strh + StrhField.rate, info.rate);
			this.#patchU32(strh + StrhField.start, info.start);
			this.#patchU32(strh + StrhField.length, chunks[i]!);
			this.#patchU32(strh + StrhField.suggestedBufferSize, maxChunkBytes[i]!);
			if (info.type === 'auds' && streamSeconds > 0) {
				this.#patchU32(layout.streams[i]!.strf + STRF_AVG_BYTES_PER_SEC, Math.round(bytes[i]! / streamSeconds));
			}
		});
		const total = bytes.reduce((a, b) => a + b, 0);
		this.#patchU32(layout.avih + AvihField.maxBytesPerSec, seconds > 0 ? Math.round(total / seconds) : 0);
		this.#patchU32(layout.avih + AvihField.suggestedBufferSize, Math.max(0, ...maxChunkBytes) + 8);
		if (video >= 0) {
			const info = this.#streams[video]!;
			this.#patchU32(layout.avih + AvihField.microSecPerFrame, Math.round((info.scale * 1e6) / info.rate));
			this.#patchU32(layout.avih + AvihField.totalFrames, firstRiffChunks[video]!);
			if (layout.dmlh !== undefined) this.#patchU32(layout.dmlh, chunks[video]!);
		}
	}

	/** Bytes the current RIFF's indexes will take if one more chunk is added. */
	#indexBytes(): number {
		const entries = this.#log.count + 1;
		const idx1 = this.#riffNumber === 1 ? 8 + 16 * entries : 0;
		return idx1 + this.#streams.length * 32 + 8 * entries;
	}

	#openRiff(): void {
		const head = new Uint8Array(24);
		setFourCc(head, 0, 'RIFF');
		setFourCc(head, 8, 'AVIX');
		setFourCc(head, 12, 'LIST');
		setFourCc(head, 20, 'movi');
		// Both sizes stay 0 ("still being written") until this RIFF is closed.
		this.#riffNumber++;
		this.#riffStart = this.#sink.position;
		this.#moviStart = this.#riffStart + 12;
		this.#sink.write(head);
		this.#log.clear();
	}

	#closeRiff(): void {
		const sink = this.#sink;
		for (let stream = 0; stream < this.#streams.length; stream++) this.#writeStandardIndex(stream);
		this.#patchU32(this.#moviStart + 4, sink.position - this.#moviStart - 8);
		if (this.#riffNumber === 1) this.#writeIdx1();
		this.#patchU32(this.#riffStart + 4, sink.position - this.#riffStart - 8);
	}

	/** OpenDML AVISTDINDEX for one stream's chunks in this RIFF, then its super index entry. */
	#writeStandardIndex(stream: number): void {
		const log = this.#log;
		const count = log.countOf(stream);
		if (count === 0) return;
		const base = this.#moviStart + 8;
		const size = 24 + 8 * count;
		const out = new Uint8Array(8 + size);
		const view = new DataView(out.buffer);
		const info = this.#streams[stream]!;
		setFourCc(out, 0, `ix${String(stream).padStart(2, '0')}`);
		view.setUint32(4, size, true);
		view.setUint16(8, 2, true); // wLongsPerEntry
		out[10] = 0; // bIndexSubType
		out[11] = 1; // bIndexType = AVI_INDEX_OF_CHUNKS
		view.setUint32(12, count, true); // nEntriesInUse
		setFourCc(out, 16, chunkId(stream, info.suffix)); // dwChunkId
		view.setUint32(20, base % TWO_POW_32, true); // qwBaseOffset, low
		view.setUint32(24, Math.floor(base / TWO_POW_32), true); // qwBaseOffset, high
		// dwReserved3 at 28 stays 0
		let at = 32;
		for (let i = 0; i < log.count; i++) {
			if (log.streams[i] !== stream) continue;
			view.setUint32(at, log.positions[i]! + 8 - base, true); // dwOffset: to the chunk data
			view.setUint32(at + 4, log.sizes[i]! + (log.keys[i] ? 0 : DELTA_FRAME), true); // dwSize
			at += 8;
		}
		const position = this.#sink.position;
		this.#sink.write(out);
		this.#addSuperIndexEntry(stream, position, out.length, count);
	}

	/** AVISUPERINDEX: the JUNK placeholder becomes 'indx' with one more entry. */
	#addSuperIndexEntry(stream: number, position: number, size: number, duration: number): void {
		const layout = this.#layout.streams[stream];
		const used = this.totals.superIndexUsed[stream]!;
		// Past its reserved room the super index stops growing; the ix## chunks stay in the file.
		if (!layout || used >= layout.superIndexCapacity) return;
		const entry = new Uint8Array(16);
		const view = new DataView(entry.buffer);
		view.setUint32(0, position % TWO_POW_32, true); // qwOffset, low
		view.setUint32(4, Math.floor(position / TWO_POW_32), true); // qwOffset, high
		view.setUint32(8, size, true); // dwSize
		view.setUint32(12, duration, true); // dwDuration: chunks, each one dwScale unit
		this.#sink.writeAt(layout.superIndex + 8 + 24 + 16 * used, entry);
		this.totals.superIndexUsed[stream] = used + 1;
		this.#patchU32(layout.superIndex + 8 + 4, used + 1); // nEntriesInUse
		const id = new Uint8Array(4);
		setFourCc(id, 0, 'indx');
		this.#sink.writeAt(layout.superIndex, id);
	}

	/** AVIOLDINDEX over the first RIFF's chunks, offsets from the 'movi' FourCC. */
	#writeIdx1(): void {
		const log = this.#log;
		const out = new Uint8Array(8 + 16 * log.count);
		const view = new DataView(out.buffer);
		setFourCc(out, 0, 'idx1');
		view.setUint32(4, 16 * log.count, true);
		const base = this.#moviStart + 8;
		for (let i = 0; i < log.count; i++) {
			const at = 8 + 16 * i;
			const stream = log.streams[i]!;
			setFourCc(out, at, chunkId(stream, this.#streams[stream]!.suffix)); // dwChunkId
			view.setUint32(at + 4, log.keys[i] ? AVIIF_KEYFRAME : 0, true); // dwFlags
			view.setUint32(at + 8, log.positions[i]! - base, true); // dwChunkOffset
			view.setUint32(at + 12, log.sizes[i]!, true); // dwChunkLength
		}
		this.#sink.write(out);
	}

	#patchU32(position: number, value: number): void {
		const bytes = new Uint8Array(4);
		new DataView(bytes.buffer).setUint32(0, value, true);
		this.#sink.writeAt(position, bytes);
	}
}
