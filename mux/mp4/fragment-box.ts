/**
 * The movie fragment box (moof, ISO/IEC 14496-12 §8.8.4–8.8.8, §8.8.12) for one fragment:
 * mfhd, then per track a traf with tfhd (default-base-is-moof), a 64-bit tfdt and a version 1
 * trun carrying each sample's duration, size, flags and signed composition offset. The mdat
 * that follows holds the tracks' payloads in the order of `runs`.
 */
import type { BoxWriter } from './box-writer.ts';
import type { SampleTable } from './sample-table.ts';

/** The first `count` samples of one track's table, as they go into a fragment. */
export type TrackRun = {
	readonly trackId: number;
	readonly samples: SampleTable;
	readonly count: number;
	/** tfdt baseMediaDecodeTime: decode time of the first sample on the file's timeline. */
	readonly baseMediaDecodeTime: number;
	/** Duration of sample `count − 1` (the next sample's DTS is not in the table). */
	readonly lastDuration: number;
};

/** tfhd flags (§8.8.7.1). */
const DEFAULT_BASE_IS_MOOF = 0x020000;
/** trun flags (§8.8.8.1): data-offset, sample-duration, sample-size, sample-flags, sample-composition-time-offset. */
const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800;
/** sample_flags (§8.8.3.1): sample_depends_on = 2 (an I picture or audio), or 1 with sample_is_non_sync_sample. */
const SYNC_SAMPLE_FLAGS = 0x02000000;
const NON_SYNC_SAMPLE_FLAGS = 0x01010000;
const MDAT_HEADER_BYTES = 8;

/** Writes moof; returns the payload bytes the following mdat must carry. */
export const writeMovieFragment = (w: BoxWriter, sequenceNumber: number, runs: readonly TrackRun[]): number => {
	const moofStart = w.length;
	const moof = w.begin('moof');
	const mfhd = w.beginFull('mfhd', 0, 0);
	w.u32(sequenceNumber); // sequence_number
	w.end(mfhd);
	const dataOffsetFields: number[] = [];
	for (const run of runs) {
		const traf = w.begin('traf');
		const tfhd = w.beginFull('tfhd', 0, DEFAULT_BASE_IS_MOOF);
		w.u32(run.trackId); // track_ID
		w.end(tfhd);
		const tfdt = w.beginFull('tfdt', 1, 0);
		w.u64(run.baseMediaDecodeTime); // baseMediaDecodeTime, 64-bit
		w.end(tfdt);
		const trun = w.beginFull('trun', 1, TRUN_FLAGS); // version 1: signed composition offsets
		w.u32(run.count); // sample_count
		dataOffsetFields.push(w.length);
		w.i32(0); // data_offset, patched once moof's size is known
		const samples = run.samples;
		let nextSync = 0; // index into the ascending 1-based sync sample numbers
		for (let i = 0; i < run.count; i++) {
			const sync = nextSync < samples.syncCount && samples.syncSamples[nextSync] === i + 1;
			if (sync) nextSync++;
			w.u32(i + 1 < run.count ? samples.duration(i) : run.lastDuration); // sample_duration
			w.u32(samples.sizes[i] as number); // sample_size
			w.u32(sync ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS); // sample_flags
			w.i32(samples.compositionOffsets[i] as number); // sample_composition_time_offset, signed
		}
		w.end(trun);
		w.end(traf);
	}
	w.end(moof);
	// data_offset counts from the start of moof (default-base-is-moof) to the run's first byte in mdat.
	let offset = w.length - moofStart + MDAT_HEADER_BYTES;
	runs.forEach((run, index) => {
		w.patchU32(dataOffsetFields[index] as number, offset);
		for (let i = 0; i < run.count; i++) offset += run.samples.sizes[i] as number;
	});
	return offset - (w.length - moofStart + MDAT_HEADER_BYTES);
};
