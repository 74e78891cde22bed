import { UnsupportedCodecError } from '../src/core/errors.ts';
import type { CodecId, Track } from '../src/core/track.ts';
import type { ContainerFormat } from './muxer.ts';

/**
 * Which of tapedeck's containers can carry each codec: `createMuxer` checks every track against it
 * before a muxer is built, and the "containers that carry X" list of an UnsupportedCodecError comes
 * from it. One table, so every muxer gives the same answer. Why a container is missing:
 * - av1: no muxer writes av01/av1C or the TS/FLV AV1 mappings yet.
 * - opus: FLV has no Opus SoundFormat; AVI has no registered wFormatTag players agree on.
 * - ac3, mpeg2video, mp2: FLV's SoundFormat/CodecID lists have no AC-3, no MPEG-2 video, and its
 *   "MP3" id (2) is Layer III only, so Layer II cannot be labelled (ffmpeg refuses it too).
 * - scte35: a data stream only MPEG-TS carries (stream_type 0x86). Data tracks a container cannot
 *   carry are left out by `createMuxer` (nothing written for them, never an error): the recorder
 *   reports them.
 */
export const CODEC_CARRIERS: Readonly<Record<CodecId, readonly ContainerFormat[]>> = {
	h264: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	h265: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	mpeg2video: ['ts', 'mp4', 'fmp4', 'mov', 'avi'],
	av1: [],
	aac: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	mp3: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	mp2: ['ts', 'mp4', 'fmp4', 'mov', 'avi'],
	opus: ['ts', 'mp4', 'fmp4', 'mov'],
	ac3: ['ts', 'mp4', 'fmp4', 'mov', 'avi'],
	scte35: ['ts'],
};

/** Whether `format` can carry `track`'s codec. */
export const carries = (format: ContainerFormat, track: { readonly codec: CodecId }): boolean =>
	CODEC_CARRIERS[track.codec].includes(format);

/** Throws UnsupportedCodecError for the first track `format` cannot carry. */
export const assertContainerCarries = (
	format: ContainerFormat,
	tracks: readonly { readonly codec: CodecId }[],
): void => {
	for (const track of tracks) {
		if (!carries(format, track)) throw new UnsupportedCodecError(track.codec, format, CODEC_CARRIERS[track.codec]);
	}
};

/** A data track `format` cannot carry: left out of the file, its packets ignored, never a reason for a new file. */
export const isLeftOut = (format: ContainerFormat, track: Track): boolean =>
	track.kind === 'data' && !carries(format, track);
