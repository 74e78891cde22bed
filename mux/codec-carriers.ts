import type { CodecId } from '../src/core/track.ts';
import type { ContainerFormat } from './muxer.ts';

/**
 * Which of tapedeck's containers can carry each codec: the "containers that carry X" list an
 * UnsupportedCodecError offers the user. One table, so every muxer gives the same answer.
 */
export const CODEC_CARRIERS: Readonly<Record<CodecId, readonly ContainerFormat[]>> = {
	h264: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	h265: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	av1: [],
	aac: ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'],
	mp3: ['ts', 'mp4', 'mov', 'flv', 'avi'],
	opus: ['ts', 'mp4', 'fmp4'],
	ac3: ['ts', 'mp4', 'mov', 'avi'],
};
