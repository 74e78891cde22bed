/**
 * The MPEG-TS demuxer SRT payloads go through by default, taken from the demuxer registry. Imported
 * on first use (when a listener or caller starts without its own factory), so the SRT transport
 * itself loads without the demuxers and their codec tables.
 */
import type { Demuxer, MediaReceiver } from '../media-receiver.ts';

export type DemuxerFactory = (receiver: MediaReceiver) => Demuxer;

export const loadTsDemuxerFactory = async (): Promise<DemuxerFactory> => {
	const { createDemuxer } = await import('../demux/create-demuxer.ts');
	return (receiver) => createDemuxer('ts', receiver);
};
