import type { Packet } from './packet.ts';
import type { Track } from './track.ts';

/**
 * Something the input carried that did not reach the bus as it was, said so a user hears it: a stream
 * of a codec tapedeck does not carry, data dropped by loss or damage, a timestamp jump re-origined, a
 * track that changed its parameters. Demuxers and ingests raise them; the bus forwards them to every
 * subscriber (a recording counts them in its stats and logs them, the CLI prints them).
 */
export type MediaWarning = {
	readonly code: 'unsupported_stream' | 'dropped_data' | 'corrupt_data' | 'timestamp_jump' | 'parameter_change';
	/** One line naming what was affected and why, e.g. `PID 0x101: stream type 0x06 (DVB subtitles) not carried`. */
	readonly message: string;
};

/**
 * What every demuxer and every ingest protocol delivers into: the bus's publisher, a muxer
 * pipeline, or a test collector. Synchronous by design: a receiver never blocks its producer.
 */
export interface MediaReceiver {
	/**
	 * Announces the full set of tracks. Called once before the first packet, and again whenever a
	 * track is added, removed or changes parameters (a new object for the changed track, same id).
	 */
	announce(tracks: readonly Track[]): void;
	/** One access unit of an announced track, in the canonical payload form (see `Packet`). */
	push(packet: Packet): void;
	/** Optional: hears what did not reach the bus as it was (see MediaWarning). */
	warn?(warning: MediaWarning): void;
}

/** Counters every demuxer keeps: losses are counted, never fatal. */
export type DemuxStats = {
	bytes: number;
	packets: number;
	/** Bytes skipped to regain sync (garbage, truncated units). */
	skippedBytes: number;
	/** Continuity/sequence gaps seen (MPEG-TS continuity_counter, RTP sequence, …). */
	discontinuities: number;
	/** Units dropped because they could not be parsed (corrupt headers, unknown codec, no config yet). */
	droppedUnits: number;
	/** Units passed on damaged (a video picture that lost bytes to a gap, as ffmpeg passes it): decoders conceal. */
	corruptUnits: number;
};

/** A byte-stream demuxer: bytes in any split, media out through its receiver. */
export interface Demuxer {
	push(chunk: Uint8Array): void;
	/** End of input: flushes the last access units. */
	end(): void;
	readonly stats: DemuxStats;
}

/** Makes a demuxer that delivers into `receiver` (one per connection or input). */
export type DemuxerFactory = (receiver: MediaReceiver) => Demuxer;

export const emptyDemuxStats = (): DemuxStats => ({
	bytes: 0,
	packets: 0,
	skippedBytes: 0,
	discontinuities: 0,
	droppedUnits: 0,
	corruptUnits: 0,
});
