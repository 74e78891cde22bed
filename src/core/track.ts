/**
 * A track as it travels on the bus: what a muxer needs to write a sample description
 * and what an API needs to filter on. Immutable: new codec parameters announce a new
 * track version (same id, new object) instead of mutating this one.
 */
export type TrackKind = 'video' | 'audio' | 'data';

/**
 * `mpeg2video`: ISO/IEC 13818-2 (MPEG-1 video is read as its subset); `mp2`: MPEG-1/2 Audio Layer II
 * (`mp3` is Layer III only); `scte35`: splice information sections carried as data (ANSI/SCTE 35).
 */
export type CodecId = 'h264' | 'h265' | 'mpeg2video' | 'av1' | 'aac' | 'opus' | 'mp3' | 'mp2' | 'ac3' | 'scte35';

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

/** A track's picture size or audio format as flat fields, as listings show them. */
export type TrackFormat = {
	readonly width?: number;
	readonly height?: number;
	readonly sampleRate?: number;
	readonly channels?: number;
};

export const trackFormat = (track: Track): TrackFormat => ({
	...(track.video && { width: track.video.width, height: track.video.height }),
	...(track.audio && { sampleRate: track.audio.sampleRate, channels: track.audio.channels }),
});

/** What a listing (probe, the live streams) shows of a track. */
export type TrackSummary = Pick<Track, 'id' | 'kind' | 'codec' | 'name'> & TrackFormat;

export const trackSummary = (track: Track): TrackSummary => ({
	id: track.id,
	kind: track.kind,
	codec: track.codec,
	name: track.name,
	...trackFormat(track),
});

/**
 * Whether two versions of a track describe their samples alike: same codec, timescale, decoder
 * configuration and picture or audio format (a re-announcement that changes nothing a file records).
 */
export const sameTrackParameters = (a: Track, b: Track): boolean =>
	a.kind === b.kind &&
	a.codec === b.codec &&
	a.timescale === b.timescale &&
	a.video?.width === b.video?.width &&
	a.video?.height === b.video?.height &&
	a.audio?.sampleRate === b.audio?.sampleRate &&
	a.audio?.channels === b.audio?.channels &&
	a.config.length === b.config.length &&
	a.config.every((byte, i) => byte === b.config[i]);
