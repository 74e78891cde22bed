/**
 * "Fast start": rewrites a finished progressive MP4/MOV with moov in front of mdat, so players
 * can start before the whole file has arrived (ffmpeg's `-movflags +faststart`). Called by
 * whoever finished the file (the muxer itself cannot: it writes through a forward-only sink),
 * with a separate output path; the caller renames.
 *
 * Streaming: only moov is read whole; every other top-level box is copied in 4 MiB pieces. The
 * chunk offsets in each stco/co64 move with the box that holds their chunk, and each table's
 * width is decided again (co64 only when an offset reaches 2^32, which can change moov's size,
 * so the layout is computed until it is stable).
 */
import { open, rm } from 'node:fs/promises';
import { TapedeckError } from '../../src/core/errors.ts';
import { TWO_POW_32 } from '../../src/core/time.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { type BoxHeader, childBoxes, FileBoxReader, readU64 } from './box-reader.ts';
import { BoxWriter } from './box-writer.ts';

export type FaststartReport = { moovBytes: number; co64Tables: number };

/** Boxes on the way from moov to the chunk offset tables; all others are copied as they are. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

/** A moov box tree: containers to rebuild, leaves kept as bytes, chunk offset tables decoded. */
type MoovNode =
	| { readonly kind: 'container'; readonly type: string; readonly children: MoovNode[] }
	| { readonly kind: 'leaf'; readonly bytes: Uint8Array }
	| { readonly kind: 'offsets'; readonly offsets: Float64Array; wide: boolean };

export const faststartMp4 = async (inputPath: string, outputPath: string): Promise<FaststartReport> => {
	const handle = await open(inputPath, 'r');
	try {
		const reader = new FileBoxReader(inputPath, handle, (await handle.stat()).size);
		const boxes: BoxHeader[] = [];
		for (let box = await reader.headerAt(0); box; box = await reader.headerAt(box.start + box.size)) {
			if (!reader.complete(box)) break;
			boxes.push(box);
		}
		const last = boxes[boxes.length - 1];
		const moovBox = boxes.find((b) => b.type === 'moov');
		if (!moovBox || !last || last.start + last.size !== reader.size) {
			throw new TapedeckError(
				'corrupt_input',
				`${inputPath}: not a complete MP4 (no moov, or cut short): cannot move moov`,
			);
		}
		const moov = parseNode(await reader.readBox(moovBox), {
			type: 'moov',
			start: 0,
			headerSize: 8,
			size: moovBox.size,
		});
		const tables = offsetTables(moov);
		const others = boxes.filter((b) => b !== moovBox);
		// ftyp (and anything before it, e.g. nothing) stays first; moov goes right after it.
		const headCount = others[0]?.type === 'ftyp' ? 1 : 0;
		const originalOffsets = tables.map((t) => t.offsets.slice());
		for (const table of tables) table.wide = false;
		let moovSize = 0;
		for (let size = nodeSize(moov); size !== moovSize; size = nodeSize(moov)) {
			moovSize = size;
			const moved = placeBoxes(others, headCount, moovSize);
			tables.forEach((table, index) => {
				const original = originalOffsets[index] as Float64Array;
				for (let i = 0; i < original.length; i++) table.offsets[i] = moved(original[i] as number);
				// Widths only grow, so the loop ends.
				table.wide ||= table.offsets.some((o) => o >= TWO_POW_32);
			});
		}
		const sink = new FileSink(outputPath);
		try {
			for (const box of others.slice(0, headCount)) await reader.copyTo(sink, box.start, box.start + box.size);
			const w = new BoxWriter(moovSize);
			writeNode(w, moov);
			sink.write(w.bytes());
			for (const box of others.slice(headCount)) await reader.copyTo(sink, box.start, box.start + box.size);
			await sink.close();
		} catch (error) {
			await sink.close().catch(() => undefined);
			await rm(outputPath, { force: true });
			throw error;
		}
		return { moovBytes: moovSize, co64Tables: tables.filter((t) => t.wide).length };
	} finally {
		await handle.close();
	}
};

/** Where each input offset lands once moov sits after the first `headCount` boxes. */
const placeBoxes = (boxes: readonly BoxHeader[], headCount: number, moovSize: number): ((offset: number) => number) => {
	const moves: { start: number; end: number; shift: number }[] = [];
	let position = 0;
	boxes.forEach((box, index) => {
		if (index === headCount) position += moovSize;
		moves.push({ start: box.start, end: box.start + box.size, shift: position - box.start });
		position += box.size;
	});
	return (offset) => {
		const holder = moves.find((m) => offset >= m.start && offset < m.end);
		if (!holder) throw new TapedeckError('corrupt_input', `chunk offset ${offset} points outside every box`);
		return offset + holder.shift;
	};
};

const parseNode = (bytes: Uint8Array, box: BoxHeader): MoovNode => {
	if (CONTAINERS.has(box.type)) {
		const children = [...childBoxes(bytes, box.start + box.headerSize, box.start + box.size)].map((child) =>
			parseNode(bytes, child),
		);
		return { kind: 'container', type: box.type, children };
	}
	if (box.type === 'stco' || box.type === 'co64') {
		const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
		const count = view.getUint32(box.start + 12);
		const wide = box.type === 'co64';
		const offsets = new Float64Array(count);
		for (let i = 0; i < count; i++) {
			offsets[i] = wide ? readU64(view, box.start + 16 + 8 * i) : view.getUint32(box.start + 16 + 4 * i);
		}
		return { kind: 'offsets', offsets, wide };
	}
	return { kind: 'leaf', bytes: bytes.subarray(box.start, box.start + box.size) };
};

const offsetTables = (node: MoovNode): Extract<MoovNode, { kind: 'offsets' }>[] =>
	node.kind === 'offsets' ? [node] : node.kind === 'container' ? node.children.flatMap(offsetTables) : [];

const nodeSize = (node: MoovNode): number => {
	if (node.kind === 'leaf') return node.bytes.length;
	if (node.kind === 'offsets') return 16 + node.offsets.length * (node.wide ? 8 : 4);
	return node.children.reduce((sum, child) => sum + nodeSize(child), 8);
};

const writeNode = (w: BoxWriter, node: MoovNode): void => {
	if (node.kind === 'leaf') {
		w.write(node.bytes);
	} else if (node.kind === 'offsets') {
		const box = w.beginFull(node.wide ? 'co64' : 'stco', 0, 0); // §8.7.5
		w.u32(node.offsets.length); // entry_count
		for (const offset of node.offsets) {
			if (node.wide)
				w.u64(offset); // chunk_offset
			else w.u32(offset);
		}
		w.end(box);
	} else {
		const box = w.begin(node.type);
		for (const child of node.children) writeNode(w, child);
		w.end(box);
	}
};
