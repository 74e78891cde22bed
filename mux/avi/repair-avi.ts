/**
 * Crash repair for an AVI the recorder was writing (`.part`): keeps every whole movi chunk, cuts
 * a partial last one, and finishes the file as AviMuxer.finish would have: standard indexes and
 * super index entries for the open RIFF, its movi and RIFF sizes, idx1 when it is the first
 * RIFF, and the totals in avih/strh/dmlh.
 *
 * RIFFs the muxer closed before the crash have their sizes set and are kept as they are (their
 * chunks are only counted). The open RIFF has size 0 (what the muxer writes until it closes
 * one) or a size that runs past the end of the file; its chunks are scanned one by one and the
 * scan stops at the first chunk that is not a stream chunk or JUNK, or does not fit.
 */
import { open } from 'node:fs/promises';
import { findStartCode } from '../../src/codec/nal.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { FileWindow } from '../file-window.ts';
import type { RepairReport } from '../repair-report.ts';
import { AviChunkLog } from './avi-chunk-log.ts';
import { type AviLayout, fourCcAt, readAviLayout, StrhField } from './avi-header.ts';
import { DEFAULT_RIFF_SIZE_LIMIT } from './avi-muxer.ts';
import {
	type AviRiffPosition,
	AviRiffWriter,
	type AviStreamInfo,
	type AviTotals,
	emptyTotals,
} from './avi-riff-writer.ts';

/** `bytesCut`: partial chunks and stale index bytes. */
export type AviRepairReport = RepairReport & {
	readonly riffs: number;
	/** Chunks per stream, in stream order (video frames including dropped-frame chunks, audio frames). */
	readonly chunks: readonly number[];
};

/** Bytes read for the header: the hdrl with its reserved super indexes is far smaller. */
const HEADER_READ_BYTES = 1 << 20;
/** Bytes of a video chunk searched for its first picture NAL unit. */
const KEYFRAME_PROBE_BYTES = 4096;

type OpenRiff = { position: AviRiffPosition; log: AviChunkLog; cut: number };

export const repairAvi = async (path: string): Promise<AviRepairReport> => {
	const file = await open(path, 'r+');
	let size: number;
	let layout: AviLayout;
	let streams: AviStreamInfo[];
	let handlers: string[];
	let totals: AviTotals;
	let riffs = 0;
	let openRiff: OpenRiff | undefined;
	let cut: number;
	try {
		size = (await file.stat()).size;
		const window = new FileWindow(file, size);
		const head = (await window.read(0, HEADER_READ_BYTES)).slice();
		const found = readAviLayout(head);
		if (!found || found.streams.some((s) => s.strh === 0)) {
			throw new TapedeckError(
				'corrupt_input',
				`${path} has no complete AVI header (RIFF 'AVI ' with hdrl): cannot repair`,
			);
		}
		layout = found;
		const view = new DataView(head.buffer);
		streams = layout.streams.map((s) => {
			const type = fourCcAt(head, s.strh) === 'auds' ? 'auds' : 'vids';
			return {
				type,
				suffix: type === 'auds' ? 'wb' : 'dc',
				scale: view.getUint32(s.strh + StrhField.scale, true) || 1,
				rate: view.getUint32(s.strh + StrhField.rate, true) || 25,
				start: view.getUint32(s.strh + StrhField.start, true),
			};
		});
		handlers = layout.streams.map((s) => fourCcAt(head, s.strh + 4));
		totals = emptyTotals(streams.length);
		cut = size;
		let at = 0;
		while (at + 24 <= size) {
			const riff = await window.read(at, 24);
			const riffSize = new DataView(riff.buffer, riff.byteOffset, 24).getUint32(4, true);
			if (fourCcAt(riff, 0) !== 'RIFF') break;
			riffs++;
			const moviStart = riffs === 1 ? layout.movi : at + 12;
			const next = at + 8 + riffSize;
			const closed =
				riffSize > 0 && next <= size && (next === size || fourCcAt(await window.read(next, 4), 0) === 'RIFF');
			if (closed) {
				const moviSize = new DataView((await window.read(moviStart, 8)).slice().buffer).getUint32(4, true);
				await scanMovi(window, moviStart + 12, moviStart + 8 + moviSize, streams, handlers, totals, riffs, undefined);
				at = next;
				continue;
			}
			const log = new AviChunkLog();
			const end = await scanMovi(window, moviStart + 12, size, streams, handlers, totals, riffs, log);
			openRiff = { position: { riffNumber: riffs, riffStart: at, moviStart }, log, cut: end };
			break;
		}
		if (riffs === 0) throw new TapedeckError('corrupt_input', `${path} has no RIFF list: cannot repair`);
		cut = openRiff ? openRiff.cut : at;
		await countSuperIndexEntries(window, layout, totals, openRiff?.position.riffStart ?? size);
		await file.truncate(cut);
	} finally {
		await file.close();
	}
	const sink = new FileSink(path, { append: true, startPosition: cut });
	// Entries for the RIFF being closed at the crash are dropped; the writer adds them afresh.
	layout.streams.forEach((stream, s) => {
		if (stream.superIndexCapacity === 0) return;
		const used = new Uint8Array(4);
		new DataView(used.buffer).setUint32(0, totals.superIndexUsed[s]!, true);
		sink.writeAt(stream.superIndex + 12, used);
	});
	const writer = new AviRiffWriter(
		sink,
		layout,
		streams,
		DEFAULT_RIFF_SIZE_LIMIT,
		openRiff && { position: openRiff.position, totals, log: openRiff.log },
	);
	if (openRiff) writer.finish();
	else writer.patchTotals();
	await sink.close();
	return { path, bytesBefore: size, bytesAfter: sink.position, bytesCut: size - cut, riffs, chunks: totals.chunks };
};

/**
 * Walks movi chunks in [from, end), counting them into `totals`; with a `log`, also records
 * them and stops at the first chunk that is not whole. Returns where the whole chunks end.
 */
const scanMovi = async (
	window: FileWindow,
	from: number,
	end: number,
	streams: readonly AviStreamInfo[],
	handlers: readonly string[],
	totals: AviTotals,
	riffNumber: number,
	log: AviChunkLog | undefined,
): Promise<number> => {
	let at = from;
	const stop = Math.min(end, window.size);
	while (at + 8 <= stop) {
		const header = await window.read(at, 8);
		const id = fourCcAt(header, 0);
		const size = new DataView(header.buffer, header.byteOffset, 8).getUint32(4, true);
		const next = at + 8 + size + (size % 2);
		if (next > stop) break;
		const stream = streamOf(id, streams);
		if (stream === undefined) {
			// JUNK is kept; our own ix## of a RIFF being closed is rebuilt, so an open RIFF stops there.
			if (id === 'JUNK' || (!log && id.startsWith('ix'))) {
				at = next;
				continue;
			}
			break;
		}
		totals.chunks[stream]!++;
		if (riffNumber === 1) totals.firstRiffChunks[stream]!++;
		totals.bytes[stream]! += size;
		if (size > totals.maxChunkBytes[stream]!) totals.maxChunkBytes[stream] = size;
		if (log) {
			const key =
				streams[stream]!.type === 'auds' || (size > 0 && (await isKeyframe(window, at + 8, size, handlers[stream]!)));
			log.add(at, size, stream, key);
		}
		at = next;
	}
	return at;
};

/** The stream of a chunk id such as '00dc' or '01wb', when it names one of ours. */
const streamOf = (id: string, streams: readonly AviStreamInfo[]): number | undefined => {
	const index = Number(id.slice(0, 2));
	if (!/^\d\d$/.test(id.slice(0, 2)) || index >= streams.length) return undefined;
	return id.slice(2) === streams[index]!.suffix ? index : undefined;
};

/** Whether the Annex B access unit's first picture NAL is an IDR (H.264) or IRAP (H.265) picture. */
const isKeyframe = async (window: FileWindow, at: number, size: number, handler: string): Promise<boolean> => {
	const data = (await window.read(at, Math.min(size, KEYFRAME_PROBE_BYTES))).slice();
	const h265 = handler === 'HEVC' || handler === 'H265';
	let code = findStartCode(data, 0);
	while (code >= 0 && code + 4 < data.length) {
		const header = data[code + 3]!;
		if (h265) {
			const type = (header >> 1) & 0x3f;
			if (type < 32) return type >= 16 && type <= 23;
		} else {
			const type = header & 0x1f;
			if (type >= 1 && type <= 5) return type === 5;
		}
		code = findStartCode(data, code + 3);
	}
	return false;
};

/** Super index entries that point before the open RIFF (entries for the RIFF being closed are redone). */
const countSuperIndexEntries = async (
	window: FileWindow,
	layout: AviLayout,
	totals: AviTotals,
	openRiffStart: number,
): Promise<void> => {
	for (let s = 0; s < layout.streams.length; s++) {
		const { superIndex, superIndexCapacity } = layout.streams[s]!;
		if (superIndexCapacity === 0) continue;
		const head = (await window.read(superIndex, 32 + 16 * superIndexCapacity)).slice();
		if (fourCcAt(head, 0) !== 'indx') continue;
		const view = new DataView(head.buffer);
		const used = Math.min(view.getUint32(12, true), superIndexCapacity);
		let kept = 0;
		while (kept < used) {
			const offset = view.getUint32(32 + 16 * kept, true) + view.getUint32(36 + 16 * kept, true) * 4294967296;
			if (offset >= openRiffStart) break;
			kept++;
		}
		totals.superIndexUsed[s] = kept;
	}
};
