/**
 * FLV writer: H.264 (CodecID 7), H.265 (Enhanced RTMP `hvc1`), AAC and MP3.
 *
 * References: Adobe "Video File Format Specification" v10.1 §E.2–§E.5; veovera "Enhanced RTMP"
 * v1 (ExVideoTagHeader). File layout:
 *
 *   FLV header · PreviousTagSize0 · onMetaData (room reserved, rewritten by `finish`) ·
 *   sequence headers · media tags … · end-of-sequence · last PreviousTagSize
 *
 * Each tag is written as `[tag header + body prefix] [payload] [PreviousTagSize]` (one small
 * allocation for the framing, as the sink may keep what it is given); the payload goes to the sink as is (length-prefixed NAL units are FLV's own AVC/HEVC framing).
 * A track whose parameters change mid-file (`updateTrack`) gets its sequence header re-sent
 * before its next packet.
 */
import type { AmfObject } from '../../src/bytes/amf0.ts';
import {
	FLV_EX_HEADER,
	FLV_TAG_HEADER_BYTES,
	FlvCodecId,
	FlvFourCc,
	FlvFrameType,
	FlvPacketType,
	FlvSoundFormat,
	FlvTagType,
} from '../../src/codec/flv.ts';
import { TapedeckError, UnsupportedCodecError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import { rescale } from '../../src/core/time.ts';
import type { CodecId, Track } from '../../src/core/track.ts';
import type { Sink } from '../../src/sink/sink.ts';
import { CODEC_CARRIERS, isLeftOut } from '../codec-carriers.ts';
import {
	CONTINUED,
	type ContainerFormat,
	type Muxer,
	type MuxerOptions,
	type MuxerStats,
	type TrackUpdate,
} from '../muxer.ts';
import { DEFAULT_KEYFRAME_CAPACITY, FlvKeyframeIndex, MAX_KEYFRAME_CAPACITY } from './flv-keyframe-index.ts';
import { encodeMetadataBody, reservedMetadataSize } from './flv-metadata.ts';

export type FlvMuxerOptions = MuxerOptions & {
	/**
	 * Keyframe entries reserved in onMetaData (18 bytes each). More keyframes than this thin the
	 * index (see FlvKeyframeIndex) rather than being lost. Default 1800.
	 */
	readonly keyframeIndexCapacity?: number;
};

/** File offset of the onMetaData tag: after the 9-byte header and PreviousTagSize0. */
const METADATA_TAG_POSITION = 13;

/** SI24 range of CompositionTime. */
const CTS_MAX = 0x7fffff;
/** Longest tag body prefix: the Enhanced RTMP header with FourCC and CompositionTime. */
const MAX_PREFIX_BYTES = 8;

type TrackState = {
	track: Track;
	/** Sequence header due before the next packet (start of file, or a new track version). */
	needsSequenceHeader: boolean;
	firstDtsMs: number | undefined;
	lastDtsMs: number;
	/** Latest pts + duration seen; durations of 0 ("unknown") are estimated at the end. */
	endMs: number;
	knowsDurations: boolean;
	packets: number;
	bytes: number;
};

export class FlvMuxer implements Muxer {
	readonly format: ContainerFormat = 'flv';
	readonly stats: MuxerStats = { packets: new Map(), bytes: 0 };
	readonly #sink: Sink;
	readonly #video: TrackState | undefined;
	readonly #audio: TrackState | undefined;
	readonly #index: FlvKeyframeIndex;
	#metadataSize = 0;
	/**
	 * Tag header, then the body's prefix, rebuilt for every tag: the sink copies what it is given,
	 * so nothing is allocated per packet. The prefix writers fill it from FLV_TAG_HEADER_BYTES.
	 */
	readonly #head = new Uint8Array(FLV_TAG_HEADER_BYTES + MAX_PREFIX_BYTES);
	readonly #previousTagSize = new Uint8Array(4);
	readonly #previousTagSizeView = new DataView(this.#previousTagSize.buffer);
	/** Milliseconds added to every timestamp, fixed by the first packet. */
	#delayMs: number | undefined;
	#started = false;
	#finished = false;

	constructor(tracks: readonly Track[], sink: Sink, options: FlvMuxerOptions = {}) {
		const video = tracks.filter((t) => t.kind === 'video');
		const audio = tracks.filter((t) => t.kind === 'audio');
		for (const track of tracks) {
			if (!CODEC_CARRIERS[track.codec].includes('flv') || track.kind === 'data') {
				throw new UnsupportedCodecError(track.codec, 'flv', CODEC_CARRIERS[track.codec]);
			}
		}
		if (video.length > 1 || audio.length > 1) {
			throw new TapedeckError(
				'unsupported',
				`FLV carries at most one video and one audio track, got ${video.length} video and ${audio.length} audio: filter the tracks`,
			);
		}
		const capacity = options.keyframeIndexCapacity ?? DEFAULT_KEYFRAME_CAPACITY;
		if (!Number.isInteger(capacity) || capacity < 2 || capacity > MAX_KEYFRAME_CAPACITY) {
			throw new TapedeckError(
				'invalid_argument',
				`keyframeIndexCapacity must be an integer from 2 to ${MAX_KEYFRAME_CAPACITY}, got ${capacity}`,
			);
		}
		this.#sink = sink;
		this.#video = video[0] && newState(video[0]);
		this.#audio = audio[0] && newState(audio[0]);
		this.#index = new FlvKeyframeIndex(capacity);
	}

	writeHeader(): void {
		if (this.#started) return;
		this.#started = true;
		const header = new Uint8Array(13);
		header.set([0x46, 0x4c, 0x56, 1]); // Signature "FLV", Version 1
		header[4] = (this.#audio ? 0x04 : 0) | (this.#video ? 0x01 : 0); // TypeFlagsAudio, TypeFlagsVideo
		header[8] = 9; // DataOffset: the header's own size; bytes 9–12: PreviousTagSize0 = 0
		this.#write(header);
		const fields = this.#metadataFields();
		this.#metadataSize = reservedMetadataSize(fields, this.#index.capacity);
		this.#writeTag(FlvTagType.Script, 0, 0, encodeMetadataBody(fields, [], [], this.#metadataSize)!);
	}

	/**
	 * A new version of a track (same id, same kind, a codec FLV carries): its sequence header is
	 * re-sent before its next packet, and the file carries on. A track that was not in the file
	 * needs a new one: the FLV header and the room reserved for onMetaData were sized without it.
	 */
	updateTrack(track: Track): TrackUpdate {
		if (isLeftOut(this.format, track)) return CONTINUED;
		const state = this.#state(track.id);
		if (!state || state.track.kind !== track.kind) {
			return { outcome: 'new-file', reason: `FLV: ${track.kind} track ${track.id} is not in this file's header` };
		}
		if (!CODEC_CARRIERS[track.codec].includes('flv')) {
			return { outcome: 'new-file', reason: `FLV cannot carry ${track.codec}` };
		}
		state.track = track;
		state.needsSequenceHeader = track.codec !== 'mp3';
		return CONTINUED;
	}

	writePacket(packet: Packet): void {
		if (!this.#started) this.writeHeader();
		const state = this.#state(packet.trackId);
		if (!state) return;
		const { track } = state;
		// FLV timestamps are unsigned: a first DTS below 0 (B-frames decoding before a timeline that
		// starts at the first presentation) moves the whole file that much later, as ffmpeg does
		this.#delayMs ??= Math.max(0, -rescale(packet.dts, track.timescale, 1000));
		const dtsMs = Math.max(0, rescale(packet.dts, track.timescale, 1000) + this.#delayMs);
		const ptsMs = Math.max(0, rescale(packet.pts, track.timescale, 1000) + this.#delayMs);
		if (state.needsSequenceHeader) {
			state.needsSequenceHeader = false;
			this.#writeSequenceHeader(track, dtsMs);
		}
		const durationMs = rescale(packet.duration, track.timescale, 1000);
		state.firstDtsMs ??= dtsMs;
		state.lastDtsMs = dtsMs;
		state.endMs = Math.max(state.endMs, ptsMs + durationMs);
		if (durationMs > 0) state.knowsDurations = true;
		state.packets++;
		state.bytes += packet.data.length;
		this.stats.packets.set(packet.trackId, state.packets);
		if (track.kind === 'video') {
			if (packet.keyframe) this.#index.add(dtsMs / 1000, this.#sink.position);
			const cts = Math.min(CTS_MAX, Math.max(-CTS_MAX - 1, ptsMs - dtsMs));
			const prefix = videoPrefix(this.#head, track.codec, packet.keyframe, cts);
			this.#writeTag(FlvTagType.Video, dtsMs, prefix, packet.data);
		} else {
			this.#writeTag(FlvTagType.Audio, dtsMs, audioPrefix(this.#head, track, false), packet.data);
		}
	}

	/** Ends the video sequence and rewrites onMetaData with the totals. */
	finish(): void {
		if (this.#finished) return;
		if (!this.#started) this.writeHeader();
		this.#finished = true;
		const video = this.#video;
		if (video && video.packets > 0) {
			const end =
				video.track.codec === 'h265'
					? hevcPrefix(this.#head, FlvFrameType.Key, FlvPacketType.SequenceEnd)
					: avcPrefix(this.#head, FlvFrameType.Key, 2, 0);
			this.#writeTag(FlvTagType.Video, video.lastDtsMs, end, new Uint8Array(0));
		}
		const body = encodeMetadataBody(
			this.#metadataFields(),
			this.#index.times(),
			this.#index.positions(),
			this.#metadataSize,
		);
		// The reserved room always fits: the index never holds more entries than were reserved.
		if (body) this.#sink.writeAt(METADATA_TAG_POSITION + FLV_TAG_HEADER_BYTES, body);
	}

	#state(trackId: number): TrackState | undefined {
		if (this.#video?.track.id === trackId) return this.#video;
		if (this.#audio?.track.id === trackId) return this.#audio;
		return undefined;
	}

	#writeSequenceHeader(track: Track, timestampMs: number): void {
		if (track.codec === 'h264') {
			this.#writeTag(
				FlvTagType.Video,
				timestampMs,
				avcPrefix(this.#head, FlvFrameType.Key, FlvPacketType.SequenceStart, 0),
				track.config,
			);
		} else if (track.codec === 'h265') {
			this.#writeTag(
				FlvTagType.Video,
				timestampMs,
				hevcPrefix(this.#head, FlvFrameType.Key, FlvPacketType.SequenceStart),
				track.config,
			);
		} else if (track.codec === 'aac') {
			this.#writeTag(FlvTagType.Audio, timestampMs, audioPrefix(this.#head, track, true), track.config);
		}
	}

	/**
	 * §E.4.1 FLVTAG: TagType, DataSize UI24, Timestamp UI24 + TimestampExtended UI8 (the low 32
	 * bits of the millisecond clock), StreamID 0; then the body (the `prefixLength` bytes already
	 * in `#head` after the header, then `payload`); then PreviousTagSize.
	 */
	#writeTag(type: number, timestampMs: number, prefixLength: number, payload: Uint8Array): void {
		const dataSize = prefixLength + payload.length;
		const head = this.#head;
		const wrapped = timestampMs % 4294967296;
		head[0] = type;
		head[1] = (dataSize >>> 16) & 0xff;
		head[2] = (dataSize >>> 8) & 0xff;
		head[3] = dataSize & 0xff;
		head[4] = Math.floor(wrapped / 65536) & 0xff;
		head[5] = Math.floor(wrapped / 256) & 0xff;
		head[6] = wrapped & 0xff;
		head[7] = Math.floor(wrapped / 16777216); // TimestampExtended
		// StreamID UI24 (bytes 8–10) stays 0
		this.#write(head.subarray(0, FLV_TAG_HEADER_BYTES + prefixLength));
		if (payload.length > 0) this.#write(payload);
		// PreviousTagSize UI32 follows the tag: header + body.
		this.#previousTagSizeView.setUint32(0, FLV_TAG_HEADER_BYTES + dataSize);
		this.#write(this.#previousTagSize);
	}

	#write(data: Uint8Array): void {
		this.#sink.write(data);
		this.stats.bytes += data.length;
	}

	#metadataFields(): AmfObject {
		const fields: AmfObject = {};
		const video = this.#video;
		const audio = this.#audio;
		const first = Math.min(
			video?.firstDtsMs ?? Number.POSITIVE_INFINITY,
			audio?.firstDtsMs ?? Number.POSITIVE_INFINITY,
		);
		const end = Math.max(endOf(video), endOf(audio));
		const durationSeconds = Number.isFinite(first) ? Math.max(0, end - first) / 1000 : 0;
		fields['duration'] = durationSeconds;
		if (video) {
			const span = video.packets > 1 ? (video.lastDtsMs - (video.firstDtsMs ?? 0)) / 1000 : 0;
			fields['width'] = video.track.video?.width ?? 0;
			fields['height'] = video.track.video?.height ?? 0;
			fields['videodatarate'] = durationSeconds > 0 ? (video.bytes * 8) / 1000 / durationSeconds : 0;
			fields['framerate'] = span > 0 ? Math.round(((video.packets - 1) / span) * 1000) / 1000 : 0;
			fields['videocodecid'] = video.track.codec === 'h265' ? FlvFourCc.Hvc1 : FlvCodecId.Avc;
		}
		if (audio) {
			fields['audiodatarate'] = durationSeconds > 0 ? (audio.bytes * 8) / 1000 / durationSeconds : 0;
			fields['audiosamplerate'] = audio.track.audio?.sampleRate ?? audio.track.timescale;
			fields['audiosamplesize'] = 16;
			fields['stereo'] = (audio.track.audio?.channels ?? 2) > 1;
			fields['audiocodecid'] = audio.track.codec === 'aac' ? FlvSoundFormat.Aac : FlvSoundFormat.Mp3;
		}
		fields['encoder'] = 'tapedeck';
		fields['filesize'] = this.#finished ? this.#sink.position : 0;
		return fields;
	}
}

/** Where a track's media ends; without packet durations, the last frame lasts the mean spacing. */
const endOf = (state: TrackState | undefined): number => {
	if (!state || state.packets === 0) return 0;
	if (state.knowsDurations || state.packets < 2) return state.endMs;
	return state.endMs + (state.lastDtsMs - (state.firstDtsMs ?? 0)) / (state.packets - 1);
};

const newState = (track: Track): TrackState => ({
	track,
	needsSequenceHeader: track.codec !== 'mp3',
	firstDtsMs: undefined,
	lastDtsMs: 0,
	endMs: 0,
	knowsDurations: false,
	packets: 0,
	bytes: 0,
});

/** The video tag body's prefix, written at FLV_TAG_HEADER_BYTES of `head`; returns its length. */
const videoPrefix = (head: Uint8Array, codec: CodecId, keyframe: boolean, cts: number): number => {
	const frameType = keyframe ? FlvFrameType.Key : FlvFrameType.Inter;
	if (codec === 'h264') return avcPrefix(head, frameType, FlvPacketType.CodedFrames, cts);
	if (cts === 0) return hevcPrefix(head, frameType, FlvPacketType.CodedFramesX);
	hevcPrefix(head, frameType, FlvPacketType.CodedFrames);
	writeSi24(head, FLV_TAG_HEADER_BYTES + 5, cts);
	return 8;
};

/** §E.4.3.1 VIDEODATA + AVCVIDEOPACKET: FrameType|CodecID, AVCPacketType, CompositionTime SI24. */
const avcPrefix = (head: Uint8Array, frameType: number, packetType: number, cts: number): number => {
	head[FLV_TAG_HEADER_BYTES] = (frameType << 4) | FlvCodecId.Avc;
	head[FLV_TAG_HEADER_BYTES + 1] = packetType;
	writeSi24(head, FLV_TAG_HEADER_BYTES + 2, cts);
	return 5;
};

/** Enhanced RTMP ExVideoTagHeader: IsExHeader|FrameType|VideoPacketType, then the FourCC. */
const hevcPrefix = (head: Uint8Array, frameType: number, packetType: number): number => {
	const at = FLV_TAG_HEADER_BYTES;
	head[at] = FLV_EX_HEADER | (frameType << 4) | packetType;
	const fourCc = FlvFourCc.Hvc1;
	head[at + 1] = fourCc >>> 24;
	head[at + 2] = (fourCc >>> 16) & 0xff;
	head[at + 3] = (fourCc >>> 8) & 0xff;
	head[at + 4] = fourCc & 0xff;
	return 5;
};

/**
 * §E.4.2.1 AUDIODATA: SoundFormat, SoundRate, SoundSize (16-bit), SoundType. AAC always says
 * 44 kHz stereo (the ASC is authoritative); MP3 says the nearest rate code and readers trust the
 * MP3 frame header (48 kHz MP3 is written with the 44 kHz code, as ffmpeg does).
 */
const audioPrefix = (head: Uint8Array, track: Track, sequenceHeader: boolean): number => {
	const at = FLV_TAG_HEADER_BYTES;
	if (track.codec === 'aac') {
		head[at] = (FlvSoundFormat.Aac << 4) | (3 << 2) | 2 | 1;
		head[at + 1] = sequenceHeader ? 0 : 1; // AACPacketType
		return 2;
	}
	const rate = track.audio?.sampleRate ?? track.timescale;
	const stereo = (track.audio?.channels ?? 2) > 1 ? 1 : 0;
	const code = rate < 11025 ? 0 : rate < 22050 ? 1 : rate < 44100 ? 2 : 3;
	head[at] =
		rate === 8000 ? (FlvSoundFormat.Mp3At8kHz << 4) | 2 | stereo : (FlvSoundFormat.Mp3 << 4) | (code << 2) | 2 | stereo;
	return 1;
};

const writeSi24 = (bytes: Uint8Array, at: number, value: number): void => {
	const v = value < 0 ? value + 0x1000000 : value;
	bytes[at] = (v >>> 16) & 0xff;
	bytes[at + 1] = (v >>> 8) & 0xff;
	bytes[at + 2] = v & 0xff;
};
