import { TsStreamType } from '../../../src/codec/ts-stream-type.ts';
import type { CodecId } from '../../../src/core/track.ts';
import type { ElementaryStreamInfo } from './psi-tables.ts';

/** The codec of a PMT entry, or undefined for streams tapedeck does not read (they are ignored). */
export const codecOfStream = (info: ElementaryStreamInfo): CodecId | undefined => {
	switch (info.streamType) {
		case TsStreamType.H264:
			return 'h264';
		case TsStreamType.H265:
			return 'h265';
		case TsStreamType.AacAdts:
			return 'aac';
		default:
			return undefined;
	}
};
