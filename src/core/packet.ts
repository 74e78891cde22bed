/**
 * One access unit on the bus.
 *
 * Timestamps are integer ticks of the owning track's timescale, already unwrapped (never
 * 33-bit or 32-bit wrapped), so they grow monotonically for hours. The payload is the one
 * canonical form every demuxer converts to and every muxer converts from:
 * - H.264 / H.265: 4-byte length-prefixed NAL units (ISO/IEC 14496-15), parameter sets in the track config;
 * - AAC: one raw frame (no ADTS header);
 * - MPEG-2 video: one coded picture as ISO/IEC 13818-2 writes it, start codes included (MPEG-2 has
 *   no other framing), with the sequence/GOP headers that precede it; the track config is the
 *   sequence header and its extensions;
 * - Opus, MP3, MP2 (Layer II), AC-3: one frame as the codec defines it;
 * - SCTE-35 (a data track): one whole splice_info_section, dated on the program's timeline.
 * `data` is a view: producers slice with `subarray`, consumers must not keep it past the call
 * unless they copy it (muxers write it out synchronously).
 */
export type Packet = {
	readonly trackId: number;
	readonly dts: number;
	readonly pts: number;
	/** Ticks until the next packet of the track; 0 when the source does not say. */
	readonly duration: number;
	readonly keyframe: boolean;
	readonly data: Uint8Array;
};
