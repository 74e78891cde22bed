/**
 * Turns a fragmented MP4 into a progressive MP4 or MOV: how the recorder finalizes an fMP4
 * recording at close, and how it repairs one after a crash. The input may be cut at any byte
 * (the `.part` file of a killed process): every complete moof + mdat is kept, a partial last
 * fragment is dropped.
 *
 * Streaming: the input is walked box by box; moov and each moof are read whole (they are small),
 * each mdat's payload is copied to the output in 4 MiB pieces, and the sample tables are typed
 * arrays. Output layout: ftyp, mdat (every kept fragment's payload, back to back), moov.
 *
 * The timeline is kept: each sample's DTS is its tfdt-based decode time (plus the input's own
 * edit list, if any), and the moov's edit lists start each track at its first PTS, so a file
 * that continued a recording still starts where the previous one ended.
 */
import { open, rm } from 'node:fs/promises';
import { TapedeckError } from '../../src/core/errors.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { type BoxHeader, FileBoxReader } from './box-reader.ts';
import { BRANDS, type Mp4Brand } from './brands.ts';
import { type InitTrack, parseFragment, parseInitTracks } from './fragment-reader.ts';
import type { MovieTrack } from './movie-box.ts';
import { ProgressiveLayout } from './progressive-layout.ts';
import { SampleTable } from './sample-table.ts';

export type DefragmentOptions = { readonly brand: Mp4Brand };

export type DefragmentReport = {
	/** Complete moof + mdat pairs copied. */
	fragmentsKept: number;
	/** Fragments left out: cut short by the end of the file, or describing data outside their mdat. */
	fragmentsDropped: number;
	/** Samples written, per track id. */
	samples: Map<number, number>;
	/** Longest track, in milliseconds. */
	durationMs: number;
	/** Input bytes at the end that belonged to no complete fragment. */
	trailingBytes: number;
};

export const defragmentMp4 = async (
	inputPath: string,
	outputPath: string,
	options: DefragmentOptions,
): Promise<DefragmentReport> => {
	const handle = await open(inputPath, 'r');
	try {
		const reader = new FileBoxReader(inputPath, handle, (await handle.stat()).size);
		const sink = new FileSink(outputPath);
		try {
			const report = await copyFragments(reader, sink, BRANDS[options.brand]);
			await sink.close();
			return report;
		} catch (error) {
			// No half-written output is left behind for someone to mistake for a recording.
			await sink.close().catch(() => undefined);
			await rm(outputPath, { force: true });
			throw error;
		}
	} finally {
		await handle.close();
	}
};

type OutputTrack = { readonly init: InitTrack; readonly samples: SampleTable };

const copyFragments = async (
	reader: FileBoxReader,
	sink: FileSink,
	brand: (typeof BRANDS)[Mp4Brand],
): Promise<DefragmentReport> => {
	const report: DefragmentReport = {
		fragmentsKept: 0,
		fragmentsDropped: 0,
		samples: new Map(),
		durationMs: 0,
		trailingBytes: 0,
	};
	const layout = new ProgressiveLayout(sink, brand);
	let tracks: Map<number, OutputTrack> | undefined;
	const nextDecodeTime = new Map<number, number>();
	let position = 0;
	for (let box = await reader.headerAt(0); box; box = await reader.headerAt(position)) {
		if (!reader.complete(box)) break;
		if (box.type === 'moov' && !tracks) {
			tracks = new Map(
				parseInitTracks(await reader.readBox(box)).map((init) => [init.id, { init, samples: new SampleTable() }]),
			);
			layout.writeHead();
		} else if (box.type === 'moof') {
			if (!tracks) throw new TapedeckError('corrupt_input', `${reader.path}: moof at ${box.start} before any moov`);
			const mdat = await reader.headerAt(box.start + box.size);
			if (mdat?.type !== 'mdat' || !reader.complete(mdat)) break;
			const kept = await copyFragment(reader, sink, box, mdat, tracks, nextDecodeTime);
			if (kept) report.fragmentsKept++;
			else report.fragmentsDropped++;
			box = mdat;
		}
		position = box.start + box.size;
	}
	if (!tracks)
		throw new TapedeckError('corrupt_input', `${reader.path}: no complete moov, so nothing can be recovered`);
	if (position < reader.size) {
		report.fragmentsDropped++;
		report.trailingBytes = reader.size - position;
	}
	const movieTracks: MovieTrack[] = [];
	for (const { init, samples } of tracks.values()) {
		if (samples.count === 0) continue;
		movieTracks.push({ ...init, samples });
		report.samples.set(init.id, samples.count);
		report.durationMs = Math.max(report.durationMs, Math.round((samples.mediaDuration / init.timescale) * 1000));
	}
	layout.finish(movieTracks);
	return report;
};

/** Adds one fragment's samples and copies its mdat payload; false (nothing written) when a run points outside it. */
const copyFragment = async (
	reader: FileBoxReader,
	sink: FileSink,
	moofBox: BoxHeader,
	mdat: BoxHeader,
	tracks: ReadonlyMap<number, OutputTrack>,
	nextDecodeTime: Map<number, number>,
): Promise<boolean> => {
	const inits = new Map([...tracks.values()].map((t) => [t.init.id, t.init]));
	const payloadStart = mdat.start + mdat.headerSize;
	const payloadEnd = mdat.start + mdat.size;
	const before = new Map(nextDecodeTime);
	const runs = parseFragment(await reader.readBox(moofBox), moofBox.start, inits, nextDecodeTime);
	for (const run of runs) {
		let bytes = 0;
		for (let i = 0; i < run.count; i++) bytes += run.sizes[i] as number;
		if (run.dataStart < payloadStart || run.dataStart + bytes > payloadEnd) {
			for (const [id, time] of before) nextDecodeTime.set(id, time);
			return false;
		}
	}
	const shift = sink.position - payloadStart; // input offset → output offset
	for (const run of runs) {
		const samples = (tracks.get(run.track.id) as OutputTrack).samples;
		let dts = run.decodeTime + run.track.timeOffset;
		let offset = run.dataStart + shift;
		let chunkOpen = false;
		for (let i = 0; i < run.count; i++) {
			const duration = run.durations[i] as number;
			const size = run.sizes[i] as number;
			// A sample that does not decode after the previous one (tfdt went back) is left out; the
			// next kept sample opens a new chunk so offsets stay right.
			if (samples.count > 0 && dts <= (samples.dts[samples.count - 1] as number)) {
				chunkOpen = false;
			} else {
				if (!chunkOpen) samples.startChunk(offset);
				chunkOpen = true;
				samples.add(dts, run.compositionOffsets[i] as number, size, run.sync[i] === 1, duration);
			}
			dts += duration;
			offset += size;
		}
	}
	await reader.copyTo(sink, payloadStart, payloadEnd);
	return true;
};
