/**
 * Edit lists for progressive files (ISO/IEC 14496-12 §8.6.6), the way ffmpeg writes them: each
 * track's presentation starts at its first PTS (a media edit from media_time = first PTS − first
 * DTS, which hides the B-frame delay), and a track that starts later than the earliest track
 * gets an empty edit first, so the A/V offset of the source survives.
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
	const starts = tracks.map((t) => (t.samples.count > 0 ? t.samples.minPts / t.timescale : Number.POSITIVE_INFINITY));
	const earliest = Math.min(...starts);
	return tracks.map((track, index) => {
		const samples = track.samples;
		if (samples.count === 0) return { emptyDuration: 0, mediaTime: 0, mediaDuration: 0, trackDuration: 0 };
		const emptyDuration = Math.round(((starts[index] as number) - earliest) * movieTimescale);
		// A PTS before the first DTS (bad input) cannot be a media_time: presentation then starts at the first DTS.
		const mediaTime = Math.max(0, samples.minPts - (samples.dts[0] as number));
		const presentationEnd = lastPresentationEnd(samples) - (samples.dts[0] as number);
		const mediaDuration = Math.round(((presentationEnd - mediaTime) / track.timescale) * movieTimescale);
		return { emptyDuration, mediaTime, mediaDuration, trackDuration: emptyDuration + mediaDuration };
	});
};

/** Where the last-shown sample stops being shown: the largest PTS + duration, in track ticks. */
const lastPresentationEnd = (samples: SampleTable): number => {
	let end = Number.NEGATIVE_INFINITY;
	for (let i = 0; i < samples.count; i++) {
		end = Math.max(end, (samples.dts[i] as number) + (samples.compositionOffsets[i] as number) + samples.duration(i));
	}
	return end;
};
