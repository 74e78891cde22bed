import type { Packet } from '../src/core/packet.ts';
import type { Track } from '../src/core/track.ts';
import type { Sink } from '../src/sink/sink.ts';

/** Every container tapedeck writes. `fmp4` is MP4 with movie fragments. */
export type ContainerFormat = 'ts' | 'mp4' | 'fmp4' | 'mov' | 'flv' | 'avi';

export const CONTAINER_FORMATS: readonly ContainerFormat[] = ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'];

export type MuxerOptions = {
	/** MP4/MOV: put moov before mdat (needs a sink that can be read back; see mux/mp4). */
	readonly faststart?: boolean;
	/** Fragmented MP4: longest fragment before a cut is forced at the next keyframe. */
	readonly fragmentDurationMs?: number;
};

export type MuxerStats = {
	/** Packets written, per track id. */
	readonly packets: Map<number, number>;
	/** Bytes handed to the sink so far. */
	bytes: number;
};

/**
 * The container-writer contract (libavformat's write_header / write_packet / write_trailer).
 * All three are synchronous: a muxer is a byte-producing state machine over a buffered `Sink`.
 * Packets arrive in DTS order per track, interleaved by time across tracks, with timestamps
 * already rebased to be ≥ 0. Unsupported codecs are rejected in the constructor with an
 * UnsupportedCodecError, before any byte is written.
 */
export interface Muxer {
	readonly format: ContainerFormat;
	readonly stats: MuxerStats;
	writeHeader(): void;
	writePacket(packet: Packet): void;
	/** Writes the trailer and patches headers; the caller then closes the sink. */
	finish(): void;
}

export type MuxerFactory = (tracks: readonly Track[], sink: Sink, options: MuxerOptions) => Muxer;
