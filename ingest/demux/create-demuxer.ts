/**
 * The demuxer registry for byte-stream inputs (files, UDP, HTTP pulls), and the content sniffing
 * that picks one for a file whose name says nothing.
 */
import { M2TS_PACKET_SIZE, TS_PACKET_SIZE, TS_RS_PACKET_SIZE, TS_SYNC_BYTE } from '../../src/codec/mpeg-ts.ts';
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

/** Packet strides of MPEG-TS (ISO/IEC 13818-1 §2.4.3.2): plain, M2TS/BDAV (4-byte prefix), with 16 parity bytes. */
const TS_STRIDES = [TS_PACKET_SIZE, M2TS_PACKET_SIZE, TS_RS_PACKET_SIZE] as const;

/**
 * Recognises an input from its first bytes: FLV by its 'FLV' signature (FLV spec §E.2), MPEG-TS by
 * sync bytes one packet stride apart — 188, 192 or 204 bytes — at the start or after a few bytes of
 * garbage (or of the M2TS prefix).
 */
export const sniffDemuxerKind = (head: Uint8Array): DemuxerKind | undefined => {
	if (head[0] === 0x46 && head[1] === 0x4c && head[2] === 0x56) return 'flv';
	for (const stride of TS_STRIDES) {
		for (let start = 0; start < stride && start < head.length; start++) {
			let syncs = 0;
			for (let i = start; i < head.length && head[i] === TS_SYNC_BYTE; i += stride) syncs++;
			if (syncs >= Math.min(3, Math.ceil((head.length - start) / stride))) return 'ts';
		}
	}
	return undefined;
};
