import type { AudioInfo, CodecId, VideoInfo } from '../../../src/core/track.ts';
import type { RtpPacket } from './rtp-packet.ts';

/** What a depacketizer learns about its codec: enough to build a Track. */
export type CodecParameters = {
	readonly codec: CodecId;
	/** avcC, hvcC or AudioSpecificConfig. */
	readonly config: Uint8Array;
	readonly video?: VideoInfo;
	readonly audio?: AudioInfo;
	/** Video: the reordering depth the encoder declares (H.264 VUI max_num_reorder_frames, H.265 sps_max_num_reorder_pics). */
	readonly reorderDepth?: number;
};

/** Where depacketized access units go (a track of an RTP session, or a test collector). */
export interface AccessUnitReceiver {
	/** The codec configuration, first known or changed; always before the access units that need it. */
	parameters(parameters: CodecParameters): void;
	/**
	 * One access unit in the canonical payload form. Timestamps are in the RTP clock, unwrapped.
	 * `data` is a view valid only during the call. `duration` is 0 when unknown.
	 */
	accessUnit(pts: number, dts: number, duration: number, keyframe: boolean, data: Uint8Array): void;
}

export type DepacketizerStats = {
	/** Access units passed on. */
	accessUnits: number;
	/** Access units dropped: damaged by loss, waiting for a keyframe after loss, or unparsable. */
	droppedUnits: number;
	/** Packets of a payload format the depacketizer does not take (STAP-B, MTAP, PACI, …). */
	unsupportedPackets: number;
	/** AAC: packets whose AU headers signal interleaving (RFC 3640 §3.2.3.2), taken in arrival order. */
	interleavedPackets: number;
};

export const emptyDepacketizerStats = (): DepacketizerStats => ({
	accessUnits: 0,
	droppedUnits: 0,
	unsupportedPackets: 0,
	interleavedPackets: 0,
});

/** Turns RTP payloads of one stream, in sequence order, into access units. */
export interface RtpDepacketizer {
	readonly stats: DepacketizerStats;
	/** Codec parameters known from the SDP before any packet (undefined when they come in-band). */
	readonly initialParameters: CodecParameters | undefined;
	/**
	 * One packet. `timestamp` is its RTP timestamp unwrapped past 32 bits; `lostBefore` counts the
	 * packets given up on just before it.
	 */
	push(packet: RtpPacket, timestamp: number, lostBefore: number): void;
	/** End of stream: passes on a complete pending access unit. */
	flush(): void;
}
