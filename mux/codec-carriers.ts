import { UnsupportedCodecError } from '../src/core/errors.ts';
import type { CodecId } from '../src/core/track.ts';
import type { ContainerFormat } from './muxer.ts';

/**
 * Which of tapedeck's containers can carry each codec: `createMuxer` checks every track against it
 * before a muxer is built, and the "containers that carry X" list of an UnsupportedCodecError comes
 * from it. One table, so every muxer gives the same answer.
 */
export const CODEC_CARRIERS: Readonly<Record<CodecId, readonly ContainerFormat[]>> = {
	h264: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	h265: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	av1: [],
	aac: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	mp3: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	opus: ['ts', 'mp4', 'fmp4', 'mov'],
	ac3: ['ts', 'mp4', 'fmp4', 'mov', 'avi'],
	mpeg2video: [],
	mp2: [],
	scte35: [],
};

/** Throws UnsupportedCodecError for the first track `format` cannot carry. */
export const assertContainerCarries = (
	format: ContainerFormat,
	tracks: readonly { readonly codec: CodecId }[],
): void => {
	for (const { codec } of tracks) {
		if (!CODEC_CARRIERS[codec].includes(format)) throw new UnsupportedCodecError(codec, format, CODEC_CARRIERS[codec]);
	}
};
