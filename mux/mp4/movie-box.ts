/**
 * The file type box and the movie box (ISO/IEC 14496-12 §4.3, §8.2–8.7, §8.8.1–8.8.3) for
 * progressive files (moov with full sample tables, written after mdat) and fragmented init
 * segments (empty sample tables plus mvex). QuickTime differences come from the brand profile.
 *
 * Time: the movie timescale is 1000 (as ffmpeg writes it); each track keeps its own media
 * timescale. Every field with a version 1 form takes it only when the value needs 64 bits.
 */
import { TWO_POW_32 } from '../../src/core/time.ts';
import type { BoxWriter } from './box-writer.ts';
import type { BrandProfile } from './brands.ts';
import { type EditList, editList } from './edit-list.ts';
import type { SampleTable } from './sample-table.ts';

export const MOVIE_TIMESCALE = 1000;

/** One track of a movie, whatever wrote its samples (a muxer or the defragmenter). */
export type MovieTrack = {
	readonly id: number;
	readonly kind: 'video' | 'audio';
	/** Media timescale (mdhd), the timescale of every tick in `samples`. */
	readonly timescale: number;
	readonly width: number;
	readonly height: number;
	/** The complete stsd box. */
	readonly sampleDescription: Uint8Array;
	/** Samples with absolute DTS: edit lists put each track's first PTS there on the timeline. Empty for init segments. */
	readonly samples: SampleTable;
	/** Init segments: ticks the fragments' tfdt runs ahead of the timeline (an edit list's media_time takes them back). */
	readonly decodeOffset?: number;
};

export type MovieOptions = {
	readonly brand: BrandProfile;
	/** Init segment of a fragmented file: empty tables, zero durations, mvex. */
	readonly fragmented?: boolean;
	/** Always write co64 (tests of the large-file path on small files). */
	readonly forceCo64?: boolean;
};

/** ftyp (ISO/IEC 14496-12 §4.3). */
export const writeFileType = (w: BoxWriter, brand: BrandProfile): void => {
	const ftyp = w.begin('ftyp');
	w.fourcc(brand.majorBrand); // major_brand
	w.u32(brand.minorVersion); // minor_version
	for (const compatible of brand.compatibleBrands) w.fourcc(compatible); // compatible_brands[]
	w.end(ftyp);
};

/** moov (§8.2.1). */
export const writeMovie = (w: BoxWriter, tracks: readonly MovieTrack[], options: MovieOptions): void => {
	const edits = options.fragmented ? undefined : editList(tracks, MOVIE_TIMESCALE);
	const moov = w.begin('moov');
	let movieDuration = 0;
	for (const edit of edits ?? []) movieDuration = Math.max(movieDuration, edit.trackDuration);
	writeMovieHeader(w, movieDuration, Math.max(0, ...tracks.map((t) => t.id)) + 1);
	for (const [index, track] of tracks.entries()) writeTrack(w, track, edits?.[index], options);
	if (options.fragmented) {
		const mvex = w.begin('mvex'); // §8.8.1
		for (const track of tracks) writeTrackExtends(w, track.id);
		w.end(mvex);
	}
	w.end(moov);
};

const fitsU32 = (value: number): boolean => value < TWO_POW_32;

/** Writes a 32- or 64-bit field by the FullBox version. */
const u32or64 = (w: BoxWriter, version: number, value: number): void => (version === 1 ? w.u64(value) : w.u32(value));

/** The unity transformation matrix (§8.2.2.3), 16.16 and 2.30 fixed point. */
const writeUnityMatrix = (w: BoxWriter): void => {
	for (const value of [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]) w.u32(value);
};

/** mvhd (§8.2.2). */
const writeMovieHeader = (w: BoxWriter, duration: number, nextTrackId: number): void => {
	const version = fitsU32(duration) ? 0 : 1;
	const mvhd = w.beginFull('mvhd', version, 0);
	u32or64(w, version, 0); // creation_time
	u32or64(w, version, 0); // modification_time
	w.u32(MOVIE_TIMESCALE); // timescale
	u32or64(w, version, duration); // duration
	w.u32(0x00010000); // rate 1.0
	w.u16(0x0100); // volume 1.0
	w.zeros(10); // reserved
	writeUnityMatrix(w); // matrix
	w.zeros(24); // pre_defined (QT: preview, poster, selection and current times)
	w.u32(nextTrackId); // next_track_ID
	w.end(mvhd);
};

const writeTrack = (w: BoxWriter, track: MovieTrack, edit: EditList | undefined, options: MovieOptions): void => {
	const trak = w.begin('trak'); // §8.3.1
	writeTrackHeader(w, track, edit?.trackDuration ?? 0);
	if (edit) writeEditList(w, edit);
	else if (track.decodeOffset) {
		// the whole (fragmented, so not yet known) duration, from media_time on (§8.6.6: segment_duration 0)
		writeEditList(w, { emptyDuration: 0, mediaTime: track.decodeOffset, mediaDuration: 0, trackDuration: 0 });
	}
	const mdia = w.begin('mdia'); // §8.4.1
	writeMediaHeader(w, track, options.fragmented ? 0 : track.samples.mediaDuration);
	writeHandler(w, options.brand.quickTime ? 'mhlr' : '', track.kind === 'video' ? 'vide' : 'soun', options);
	const minf = w.begin('minf'); // §8.4.4
	if (track.kind === 'video') {
		const vmhd = w.beginFull('vmhd', 0, 1); // §12.1.2
		w.u16(0); // graphicsmode: copy
		w.zeros(6); // opcolor
		w.end(vmhd);
	} else {
		const smhd = w.beginFull('smhd', 0, 0); // §12.2.2
		w.i16(0); // balance
		w.u16(0); // reserved
		w.end(smhd);
	}
	if (options.brand.quickTime) writeHandler(w, 'dhlr', 'alis', options);
	writeDataInformation(w, options);
	const stbl = w.begin('stbl'); // §8.5.1
	w.write(track.sampleDescription);
	writeSampleTables(w, track.samples, options);
	w.end(stbl);
	w.end(minf);
	w.end(mdia);
	w.end(trak);
};

/** tkhd (§8.3.2): enabled and in the movie. */
const writeTrackHeader = (w: BoxWriter, track: MovieTrack, duration: number): void => {
	const version = fitsU32(duration) ? 0 : 1;
	const tkhd = w.beginFull('tkhd', version, 0x000003);
	u32or64(w, version, 0); // creation_time
	u32or64(w, version, 0); // modification_time
	w.u32(track.id); // track_ID
	w.u32(0); // reserved
	u32or64(w, version, duration); // duration, movie timescale
	w.zeros(8); // reserved
	w.i16(0); // layer
	w.i16(0); // alternate_group
	w.u16(track.kind === 'audio' ? 0x0100 : 0); // volume
	w.u16(0); // reserved
	writeUnityMatrix(w); // matrix
	w.u32(track.width * 65536); // width, 16.16
	w.u32(track.height * 65536); // height, 16.16
	w.end(tkhd);
};

/** edts/elst (§8.6.5–8.6.6): an empty edit for a late start, then the media from its first PTS. */
const writeEditList = (w: BoxWriter, edit: EditList): void => {
	const version = fitsU32(edit.trackDuration) && fitsU32(edit.mediaTime) ? 0 : 1;
	const edts = w.begin('edts');
	const elst = w.beginFull('elst', version, 0);
	w.u32(edit.emptyDuration > 0 ? 2 : 1); // entry_count
	if (edit.emptyDuration > 0) {
		u32or64(w, version, edit.emptyDuration); // segment_duration
		// media_time = -1 marks an empty edit; as 64 bits that is eight 0xFF bytes.
		if (version === 1) w.i32(-1);
		w.i32(-1);
		w.i16(1); // media_rate_integer
		w.i16(0); // media_rate_fraction
	}
	u32or64(w, version, edit.mediaDuration); // segment_duration
	u32or64(w, version, edit.mediaTime); // media_time
	w.i16(1); // media_rate_integer
	w.i16(0); // media_rate_fraction
	w.end(elst);
	w.end(edts);
};

/** mdhd (§8.4.2), language "und". */
const writeMediaHeader = (w: BoxWriter, track: MovieTrack, duration: number): void => {
	const version = fitsU32(duration) ? 0 : 1;
	const mdhd = w.beginFull('mdhd', version, 0);
	u32or64(w, version, 0); // creation_time
	u32or64(w, version, 0); // modification_time
	w.u32(track.timescale); // timescale
	u32or64(w, version, duration); // duration
	w.u16(0x55c4); // pad, language "und" as three 5-bit letters
	w.u16(0); // pre_defined (QT: quality)
	w.end(mdhd);
};

const HANDLER_NAMES: Readonly<Record<string, string>> = {
	vide: 'VideoHandler',
	soun: 'SoundHandler',
	alis: 'DataHandler',
};

/** hdlr (§8.4.3); QuickTime adds a component type and names it with a Pascal string. */
const writeHandler = (w: BoxWriter, componentType: string, handlerType: string, options: MovieOptions): void => {
	const name = HANDLER_NAMES[handlerType] ?? '';
	const hdlr = w.beginFull('hdlr', 0, 0);
	if (componentType) w.fourcc(componentType);
	else w.u32(0); // pre_defined (QT: component type)
	w.fourcc(handlerType); // handler_type
	w.zeros(12); // reserved (QT: manufacturer, flags, flags mask)
	if (options.brand.quickTime) w.u8(name.length); // Pascal string length
	for (let i = 0; i < name.length; i++) w.u8(name.charCodeAt(i)); // name
	if (!options.brand.quickTime) w.u8(0); // null terminator
	w.end(hdlr);
};

/** dinf/dref (§8.7.1–8.7.2): one self-contained reference (`url ` flag 1, or QuickTime `alis`). */
const writeDataInformation = (w: BoxWriter, options: MovieOptions): void => {
	const dinf = w.begin('dinf');
	const dref = w.beginFull('dref', 0, 0);
	w.u32(1); // entry_count
	const entry = w.beginFull(options.brand.quickTime ? 'alis' : 'url ', 0, 1); // flags: media in this file
	w.end(entry);
	w.end(dref);
	w.end(dinf);
};

/** trex (§8.8.3): every default stays in the fragments themselves. */
const writeTrackExtends = (w: BoxWriter, trackId: number): void => {
	const trex = w.beginFull('trex', 0, 0);
	w.u32(trackId); // track_ID
	w.u32(1); // default_sample_description_index
	w.u32(0); // default_sample_duration
	w.u32(0); // default_sample_size
	w.u32(0); // default_sample_flags
	w.end(trex);
};

/** stts, ctts, stss, stsc, stsz, stco|co64 (§8.6.1–8.7.5), run-length coded where the box allows. */
const writeSampleTables = (w: BoxWriter, table: SampleTable, options: MovieOptions): void => {
	const count = table.count;

	const stts = w.beginFull('stts', 0, 0);
	let entries = w.length;
	w.u32(0); // entry_count, patched below
	let runs = 0;
	for (let i = 0; i < count; ) {
		const delta = table.duration(i);
		let run = 1;
		while (i + run < count && table.duration(i + run) === delta) run++;
		w.u32(run); // sample_count
		w.u32(delta); // sample_delta
		runs++;
		i += run;
	}
	w.patchU32(entries, runs);
	w.end(stts);

	let needsCtts = false;
	for (let i = 0; i < count && !needsCtts; i++) needsCtts = table.compositionOffsets[i] !== 0;
	if (needsCtts) {
		// Version 1 makes the offsets signed (§8.6.1.3): needed only when a sample shows before it decodes.
		const ctts = w.beginFull('ctts', table.minCompositionOffset < 0 ? 1 : 0, 0);
		entries = w.length;
		w.u32(0); // entry_count
		runs = 0;
		for (let i = 0; i < count; ) {
			const offset = table.compositionOffsets[i] as number;
			let run = 1;
			while (i + run < count && table.compositionOffsets[i + run] === offset) run++;
			w.u32(run); // sample_count
			w.i32(offset); // sample_offset
			runs++;
			i += run;
		}
		w.patchU32(entries, runs);
		w.end(ctts);
	}

	if (table.syncCount !== count) {
		const stss = w.beginFull('stss', 0, 0);
		w.u32(table.syncCount); // entry_count
		for (let i = 0; i < table.syncCount; i++) w.u32(table.syncSamples[i] as number); // sample_number
		w.end(stss);
	}

	const stsc = w.beginFull('stsc', 0, 0);
	entries = w.length;
	w.u32(0); // entry_count
	runs = 0;
	let previousPerChunk = -1;
	for (let chunk = 0; chunk < table.chunkCount; chunk++) {
		const end = chunk + 1 < table.chunkCount ? (table.chunkFirstSamples[chunk + 1] as number) : count;
		const perChunk = end - (table.chunkFirstSamples[chunk] as number);
		if (perChunk === previousPerChunk) continue;
		w.u32(chunk + 1); // first_chunk
		w.u32(perChunk); // samples_per_chunk
		w.u32(1); // sample_description_index: the track's one entry
		previousPerChunk = perChunk;
		runs++;
	}
	w.patchU32(entries, runs);
	w.end(stsc);

	const stsz = w.beginFull('stsz', 0, 0);
	w.u32(0); // sample_size: every sample has its own
	w.u32(count); // sample_count
	for (let i = 0; i < count; i++) w.u32(table.sizes[i] as number); // entry_size
	w.end(stsz);

	const lastOffset = table.chunkCount > 0 ? (table.chunkOffsets[table.chunkCount - 1] as number) : 0;
	const wide = options.forceCo64 === true || !fitsU32(lastOffset);
	const stco = w.beginFull(wide ? 'co64' : 'stco', 0, 0);
	w.u32(table.chunkCount); // entry_count
	for (let chunk = 0; chunk < table.chunkCount; chunk++) {
		const offset = table.chunkOffsets[chunk] as number;
		if (wide)
			w.u64(offset); // chunk_offset, 64-bit
		else w.u32(offset); // chunk_offset
	}
	w.end(stco);
};
