import type { MediaWarning } from '../src/core/media-receiver.ts';
import type { Packet } from '../src/core/packet.ts';
import type { Track } from '../src/core/track.ts';
import type { Sink } from '../src/sink/sink.ts';

/** Every container tapedeck writes. `fmp4` is MP4 with movie fragments. */
export type ContainerFormat = 'ts' | 'mp4' | 'fmp4' | 'mov' | 'flv' | 'avi';

export const CONTAINER_FORMATS: readonly ContainerFormat[] = ['ts', 'mp4', 'fmp4', 'mov', 'flv', 'avi'];

export type MuxerOptions = {
	/** Fragmented MP4: longest fragment before a cut is forced at the next keyframe. */
	readonly fragmentDurationMs?: number;
	/**
	 * Hears what a muxer had to change for its container (e.g. AVI fills audio gaps with silence):
	 * the recording's or the remux's warning sink, so the user is told. Unset: not reported.
	 */
	readonly warn?: (warning: MediaWarning) => void;
};

export type MuxerStats = {
	/** Packets written, per track id. */
	readonly packets: Map<number, number>;
	/** Bytes handed to the sink so far. */
	bytes: number;
};

/**
 * What a muxer answers when a track is re-announced or announced late (`Muxer.updateTrack`):
 * `continued` — the file carries on and takes the new track's packets from now on;
 * `new-file` — this file cannot describe it (`reason` says why, for the log): the caller finishes
 * this file and starts a new one with the new track list, from a keyframe. Either way the muxer is
 * unchanged when it declines, so the packets already given stay valid.
 */
export type TrackUpdate = { readonly outcome: 'continued' } | { readonly outcome: 'new-file'; readonly reason: string };

export const CONTINUED: TrackUpdate = { outcome: 'continued' };

/**
 * The container-writer contract (libavformat's write_header / write_packet / write_trailer).
 * All three are synchronous: a muxer is a byte-producing state machine over a buffered `Sink`.
 * Packets arrive in DTS order per track, interleaved by time across tracks, with timestamps
 * already rebased to be ≥ 0. Unsupported codecs are rejected in the constructor with an
 * UnsupportedCodecError, before any byte is written. Packets of a track the muxer was not given
 * (a data track its container cannot carry, which `createMuxer` leaves out) are ignored.
 */
export interface Muxer {
	readonly format: ContainerFormat;
	readonly stats: MuxerStats;
	writeHeader(): void;
	writePacket(packet: Packet): void;
	/**
	 * A new version of a track (same id, new parameters: resolution, profile, sample rate, channels)
	 * or a track that was not in the list the muxer was made with (a late track). Call it when the
	 * source re-announces, before the first packet with the new parameters (for video, a keyframe).
	 * TS and FLV carry on in the same file (TS: a new PMT version; FLV: a new sequence header).
	 * Every MP4 flavour and AVI answer `new-file` for new parameters of a track they already hold
	 * (progressive MP4/MOV still take a late track: their moov is written at the end):
	 * - fragmented MP4 and AVI have written their headers already;
	 * - progressive MP4/MOV could add a second sample description entry (stsd) and point the
	 *   following chunks at it (ISO/IEC 14496-12 §8.7.4), but not every player follows it: VLC 3
	 *   recreates its decoder there; Chromium builds its decoder configuration once, from the first
	 *   entry (its ffmpeg-based demuxer ignores the new-extradata side data the second entry comes
	 *   with); and ffmpeg, which does switch, guesses one frame rate for the whole track from stts,
	 *   so a timestamp gap at the change (a concatenation, an encoder restart) gives a rate off by a
	 *   little and its decode rounds two frames onto one tick ("non monotonically increasing dts").
	 *   In-band parameter sets (avc3/hev1) would leave the sample entry's size wrong for every
	 *   player that reads it. A new numbered file plays everywhere and is what fMP4 does anyway.
	 */
	updateTrack(track: Track): TrackUpdate;
	/** Writes the trailer and patches headers; the caller then closes the sink. */
	finish(): void;
}

export type MuxerFactory = (tracks: readonly Track[], sink: Sink, options: MuxerOptions) => Muxer;
