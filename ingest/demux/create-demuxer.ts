/**
 * The demuxer registry for byte-stream inputs (files, UDP, HTTP pulls), and the content sniffing
 * that picks one for a file whose name says nothing.
 */
import { TapedeckError } from '../../src/core/errors.ts';
import type { Demuxer, MediaReceiver } from '../../src/core/media-receiver.ts';
import { FlvDemuxer } from './flv/flv-demuxer.ts';
import { TsDemuxer } from './ts/ts-demuxer.ts';

export type DemuxerKind = 'ts' | 'flv';

const DEMUXERS: Partial<Record<DemuxerKind, new (receiver: MediaReceiver) => Demuxer>> = {
	ts: TsDemuxer,
	flv: FlvDemuxer,
};

/** The input kinds a demuxer is registered for. */
export const DEMUXER_KINDS: readonly DemuxerKind[] = (['ts', 'flv'] as const).filter((k) => DEMUXERS[k] !== undefined);

export const createDemuxer = (kind: DemuxerKind, receiver: MediaReceiver): Demuxer => {
	const Demuxer = DEMUXERS[kind];
	if (!Demuxer) throw new TapedeckError('unsupported', `no demuxer for input kind ${kind}`);
	return new Demuxer(receiver);
};

/** MPEG-TS packets are 188 bytes, each starting with the sync byte (ISO/IEC 13818-1 §2.4.3.2). */
const TS_PACKET_BYTES = 188;
const TS_SYNC_BYTE = 0x47;

/**
 * Recognises an input from its first bytes: FLV by its 'FLV' signature (FLV spec §E.2), MPEG-TS by
 * sync bytes 188 bytes apart (at the start, or after a few bytes of garbage).
 */
export const sniffDemuxerKind = (head: Uint8Array): DemuxerKind | undefined => {
	if (head[0] === 0x46 && head[1] === 0x4c && head[2] === 0x56) return 'flv';
	for (let start = 0; start < TS_PACKET_BYTES && start < head.length; start++) {
		let syncs = 0;
		for (let i = start; i < head.length && head[i] === TS_SYNC_BYTE; i += TS_PACKET_BYTES) syncs++;
		if (syncs >= Math.min(3, Math.ceil((head.length - start) / TS_PACKET_BYTES))) return 'ts';
	}
	return undefined;
};
