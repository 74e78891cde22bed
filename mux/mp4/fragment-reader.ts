/**
 * Parses what a fragmented MP4 says about its samples: the init segment's tracks (tkhd, mdhd,
 * hdlr, stsd, elst, trex) and each moof's track runs (tfhd, tfdt, trun), with every default and
 * base-offset rule of ISO/IEC 14496-12 §8.8.7–8.8.8, so files of other writers (ffmpeg, GPAC)
 * defragment too, not only tapedeck's own.
 */
import { TapedeckError } from '../../src/core/errors.ts';
import { type BoxHeader, childBoxes, FieldReader, findChild, findPath, fourcc, readU64 } from './box-reader.ts';

export type InitTrack = {
	readonly id: number;
	readonly kind: 'video' | 'audio';
	readonly timescale: number;
	readonly width: number;
	readonly height: number;
	/** The stsd box as it is in the input. */
	readonly sampleDescription: Uint8Array;
	/**
	 * Ticks added to every DTS so the input's edit list (empty edit, media_time) is kept as a
	 * plain time offset: presentation = DTS + offset + composition offset.
	 */
	readonly timeOffset: number;
	/** trex defaults. */
	readonly defaultDuration: number;
	readonly defaultSize: number;
	readonly defaultFlags: number;
};

/** One trun of one traf: `count` samples stored contiguously from `dataStart` (file offset). */
export type ParsedRun = {
	readonly track: InitTrack;
	/** Decode time of the first sample (tfdt, or where the track's previous run ended). */
	readonly decodeTime: number;
	readonly dataStart: number;
	readonly count: number;
	readonly durations: Uint32Array;
	readonly sizes: Uint32Array;
	readonly compositionOffsets: Int32Array;
	readonly sync: Uint8Array;
};

const NON_SYNC = 0x00010000;

/** The tracks of an init moov (held whole in `moov`); tracks other than video/audio are skipped. */
export const parseInitTracks = (moov: Uint8Array): InitTrack[] => {
	const view = new DataView(moov.buffer, moov.byteOffset, moov.length);
	const root = { type: 'moov', start: 0, headerSize: 8, size: moov.length };
	const mvhd = findChild(moov, root, 'mvhd');
	const movieTimescale = mvhd ? view.getUint32(mvhd.start + (moov[mvhd.start + 8] === 1 ? 28 : 20)) : 1000;
	const trex = new Map<number, { duration: number; size: number; flags: number }>();
	const mvex = findChild(moov, root, 'mvex');
	for (const box of mvex ? childBoxes(moov, mvex.start + 8, mvex.start + mvex.size) : []) {
		if (box.type !== 'trex') continue;
		const at = box.start + 12;
		trex.set(view.getUint32(at), {
			duration: view.getUint32(at + 8),
			size: view.getUint32(at + 12),
			flags: view.getUint32(at + 16),
		});
	}
	const tracks: InitTrack[] = [];
	for (const trak of childBoxes(moov, 8, moov.length)) {
		if (trak.type !== 'trak') continue;
		const tkhd = findChild(moov, trak, 'tkhd');
		const mdhd = findPath(moov, trak, ['mdia', 'mdhd']);
		const hdlr = findPath(moov, trak, ['mdia', 'hdlr']);
		const stsd = findPath(moov, trak, ['mdia', 'minf', 'stbl', 'stsd']);
		if (!tkhd || !mdhd || !hdlr || !stsd)
			throw new TapedeckError('corrupt_input', 'init segment: a trak lacks tkhd, mdhd, hdlr or stsd');
		const stsz = findPath(moov, trak, ['mdia', 'minf', 'stbl', 'stsz']);
		if (stsz && view.getUint32(stsz.start + 16) > 0) {
			// ffmpeg's frag_keyframe without empty_moov puts the first fragment's samples in moov itself.
			throw new TapedeckError(
				'unsupported',
				'init segment: moov holds samples of its own; only empty-moov fMP4 is read',
			);
		}
		const handler = fourcc(moov, hdlr.start + 16);
		if (handler !== 'vide' && handler !== 'soun') continue;
		const id = view.getUint32(tkhd.start + (moov[tkhd.start + 8] === 1 ? 28 : 20));
		const timescale = view.getUint32(mdhd.start + (moov[mdhd.start + 8] === 1 ? 28 : 20));
		const defaults = trex.get(id);
		tracks.push({
			id,
			kind: handler === 'vide' ? 'video' : 'audio',
			timescale,
			width: Math.round(view.getUint32(tkhd.start + tkhd.size - 8) / 65536),
			height: Math.round(view.getUint32(tkhd.start + tkhd.size - 4) / 65536),
			sampleDescription: moov.slice(stsd.start, stsd.start + stsd.size),
			timeOffset: editOffset(moov, view, trak, movieTimescale, timescale),
			defaultDuration: defaults?.duration ?? 0,
			defaultSize: defaults?.size ?? 0,
			defaultFlags: defaults?.flags ?? 0,
		});
	}
	return tracks;
};

/** Empty edits before the first media edit, minus its media_time, in track ticks (§8.6.6). */
const editOffset = (
	moov: Uint8Array,
	view: DataView,
	trak: BoxHeader,
	movieTimescale: number,
	timescale: number,
): number => {
	const elst = findPath(moov, trak, ['edts', 'elst']);
	if (!elst) return 0;
	const version = moov[elst.start + 8];
	const count = view.getUint32(elst.start + 12);
	const entryBytes = version === 1 ? 20 : 12;
	let offset = 0;
	for (let i = 0, at = elst.start + 16; i < count && at + entryBytes <= elst.start + elst.size; i++, at += entryBytes) {
		const duration = version === 1 ? readU64(view, at) : view.getUint32(at);
		const mediaTime = version === 1 ? view.getInt32(at + 8) * 2 ** 32 + view.getUint32(at + 12) : view.getInt32(at + 4);
		if (mediaTime === -1) offset += Math.round((duration / movieTimescale) * timescale);
		else return offset - mediaTime;
	}
	return offset;
};

/**
 * The runs of one moof (held whole in `moof`, found at file offset `moofStart`). `nextDecodeTime`
 * carries each track's decode time across fragments that have no tfdt, and is updated.
 */
export const parseFragment = (
	moof: Uint8Array,
	moofStart: number,
	tracks: ReadonlyMap<number, InitTrack>,
	nextDecodeTime: Map<number, number>,
): ParsedRun[] => {
	const view = new DataView(moof.buffer, moof.byteOffset, moof.length);
	const runs: ParsedRun[] = [];
	let previousTrafEnd = moofStart;
	for (const traf of childBoxes(moof, 8, moof.length)) {
		if (traf.type !== 'traf') continue;
		const tfhd = findChild(moof, traf, 'tfhd');
		if (!tfhd) throw new TapedeckError('corrupt_input', `moof at ${moofStart}: traf without tfhd`);
		const tfhdFlags = view.getUint32(tfhd.start + 8) % 0x1000000;
		const trackId = view.getUint32(tfhd.start + 12);
		const track = tracks.get(trackId);
		if (!track) continue;
		const fields = new FieldReader(view, tfhd.start + 16);
		let base = previousTrafEnd; // no base offset and no default-base-is-moof: after the previous traf's data
		if (tfhdFlags & 0x000001)
			base = fields.u64(); // base_data_offset
		else if (tfhdFlags & 0x020000 || runs.length === 0) base = moofStart;
		if (tfhdFlags & 0x000002) fields.u32(); // sample_description_index
		const defaultDuration = tfhdFlags & 0x000008 ? fields.u32() : track.defaultDuration; // default_sample_duration
		const defaultSize = tfhdFlags & 0x000010 ? fields.u32() : track.defaultSize; // default_sample_size
		const defaultFlags = tfhdFlags & 0x000020 ? fields.u32() : track.defaultFlags; // default_sample_flags
		const tfdt = findChild(moof, traf, 'tfdt');
		let decodeTime = nextDecodeTime.get(trackId) ?? 0;
		if (tfdt)
			decodeTime = moof[tfdt.start + 8] === 1 ? readU64(view, tfdt.start + 12) : view.getUint32(tfdt.start + 12);
		let dataEnd = base;
		for (const trun of childBoxes(moof, traf.start + 8, traf.start + traf.size)) {
			if (trun.type !== 'trun') continue;
			const flags = view.getUint32(trun.start + 8) % 0x1000000;
			const count = view.getUint32(trun.start + 12);
			const field = new FieldReader(view, trun.start + 16);
			const dataStart = flags & 0x000001 ? base + field.i32() : dataEnd; // data_offset
			const firstFlags = flags & 0x000004 ? field.u32() : undefined; // first_sample_flags
			const perSample = ((flags >> 8) & 1) + ((flags >> 9) & 1) + ((flags >> 10) & 1) + ((flags >> 11) & 1);
			if (field.at + count * perSample * 4 > trun.start + trun.size) {
				throw new TapedeckError(
					'corrupt_input',
					`moof at ${moofStart}: trun says ${count} samples, more than it holds`,
				);
			}
			const run: ParsedRun = {
				track,
				decodeTime,
				dataStart,
				count,
				durations: new Uint32Array(count),
				sizes: new Uint32Array(count),
				compositionOffsets: new Int32Array(count),
				sync: new Uint8Array(count),
			};
			let bytes = 0;
			for (let i = 0; i < count; i++) {
				const duration = flags & 0x000100 ? field.u32() : defaultDuration; // sample_duration
				const size = flags & 0x000200 ? field.u32() : defaultSize; // sample_size
				let sampleFlags = flags & 0x000400 ? field.u32() : defaultFlags; // sample_flags
				if (i === 0 && firstFlags !== undefined) sampleFlags = firstFlags;
				// sample_composition_time_offset: unsigned in version 0, but writers put negative values there
				// too, so both versions read as signed.
				const offset = flags & 0x000800 ? field.i32() : 0;
				run.durations[i] = duration;
				run.sizes[i] = size;
				run.compositionOffsets[i] = offset;
				run.sync[i] = (sampleFlags & NON_SYNC) === 0 ? 1 : 0;
				decodeTime += duration;
				bytes += size;
			}
			dataEnd = dataStart + bytes;
			runs.push(run);
		}
		nextDecodeTime.set(trackId, decodeTime);
		previousTrafEnd = dataEnd;
	}
	return runs;
};
