import type { DemuxerKind } from '../demux/create-demuxer.ts';

/** The container an HTTP Content-Type names, if any: a hint only, the bytes are sniffed first. */
export const contentTypeKind = (type: string | null | undefined): DemuxerKind | undefined => {
	if (!type) return undefined;
	if (/mp2t|mpegts/i.test(type)) return 'ts';
	if (/flv/i.test(type)) return 'flv';
	return undefined;
};
