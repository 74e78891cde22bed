/**
 * A track as it travels on the bus: what a muxer needs to write a sample description
 * and what an API needs to filter on. Immutable: new codec parameters announce a new
 * track version (same id, new object) instead of mutating this one.
 */
export type TrackKind = 'video' | 'audio' | 'data';

export type CodecId = 'h264' | 'h265' | 'av1' | 'aac' | 'opus' | 'mp3' | 'ac3';

export type VideoInfo = { readonly width: number; readonly height: number };

export type AudioInfo = { readonly sampleRate: number; readonly channels: number };

export type Track = {
	/** Stable within one stream; 1-based so it can be an MP4 track_ID as is. */
	readonly id: number;
	readonly kind: TrackKind;
	readonly codec: CodecId;
	/** Ticks per second of every dts/pts/duration on this track (90 kHz video, the sample rate for audio). */
	readonly timescale: number;
	/**
	 * Decoder configuration in its MP4 form: avcC for H.264, hvcC for H.265, AudioSpecificConfig for AAC,
	 * dOps for Opus, empty for codecs that carry none (MP3, AC-3).
	 */
	readonly config: Uint8Array;
	/** The variant name the APIs filter on ("video", "audio", or what the source calls it). */
	readonly name: string;
	readonly video?: VideoInfo;
	readonly audio?: AudioInfo;
};

export const isVideo = (track: Track): boolean => track.kind === 'video';
