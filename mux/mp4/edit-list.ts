/**
 * Edit lists for progressive files (ISO/IEC 14496-12 §8.6.6), the way ffmpeg writes them with
 * `-copyts`: the file keeps the timeline it is given. Each track's presentation starts at its
 * first PTS, measured from 0: an empty edit (media_time −1) as long as that first PTS, then a
 * media edit from media_time = first PTS − first DTS, which hides the B-frame delay. So a file
 * that carries on a recording (`continuity`) starts where the previous one ended, and one that
 * starts at ~0 (`discontinuity`) gets short empty edits that keep the A/V offset of the source.
 *
 * The empty edits are in the movie timescale (ms): the earliest track's is rounded once and the
 * others are placed from it, so the offsets between tracks stay within half a millisecond.
 */
import type { MovieTrack } from './movie-box.ts';
import type { SampleTable } from './sample-table.ts';

export type EditList = {
	/** Empty edit before the media, movie timescale; 0 for none. */
	readonly emptyDuration: number;
	/** Media time (track ticks, from the first sample's DTS) where presentation starts. */
	readonly mediaTime: number;
	/** Duration of the media edit, movie timescale. */
	readonly mediaDuration: number;
	/** emptyDuration + mediaDuration: the track's duration in tkhd and its share of mvhd. */
	readonly trackDuration: number;
};

/** One edit list per track, in the order of `tracks`. */
export const editList = (tracks: readonly MovieTrack[], movieTimescale: number): EditList[] => {
	const starts = tracks.map((t) => (t.samples.count > 0 ? presentationStart(t.samples) / t.timescale : Number.NaN));
	const known = starts.filter((start) => !Number.isNaN(start));
	const earliest = known.length > 0 ? Math.min(...known) : 0;
	// Presentation before 0 (bad input) cannot be an edit: such a file starts at 0, offsets kept.
	const earliestEdit = Math.max(0, Math.round(earliest * movieTimescale));
	return tracks.map((track, index) => {
		const samples = track.samples;
		if (samples.count === 0) return { emptyDuration: 0, mediaTime: 0, mediaDuration: 0, trackDuration: 0 };
		const emptyDuration = earliestEdit + Math.round(((starts[index] as number) - earliest) * movieTimescale);
		const firstDts = samples.dts[0] as number;
		const mediaTime = presentationStart(samples) - firstDts;
		const presentationEnd = lastPresentationEnd(samples) - firstDts;
		const mediaDuration = Math.round(((presentationEnd - mediaTime) / track.timescale) * movieTimescale);
		return { emptyDuration, mediaTime, mediaDuration, trackDuration: emptyDuration + mediaDuration };
	});
};

/**
 * The track's first PTS: where its presentation starts. A PTS before the first DTS (bad input)
 * cannot be a media_time: presentation then starts at the first DTS.
 */
const presentationStart = (samples: SampleTable): number => Math.max(samples.minPts, samples.dts[0] as number);

/** Where the last-shown sample stops being shown: the largest PTS + duration, in track ticks. */
const lastPresentationEnd = (samples: SampleTable): number => {
	let end = Number.NEGATIVE_INFINITY;
	for (let i = 0; i < samples.count; i++) {
		end = Math.max(end, (samples.dts[i] as number) + (samples.compositionOffsets[i] as number) + samples.duration(i));
	}
	return end;
};
