/**
 * The body of an FLV video tag (or an RTMP video message, which carries the same bytes).
 *
 * References: Adobe "Video File Format Specification" v10.1 §E.4.3.1 VIDEODATA / AVCVIDEOPACKET;
 * veovera "Enhanced RTMP" v1/v2 (ExVideoTagHeader, FourCC, VideoPacketType); the legacy
 * codec id 12 for HEVC that Chinese CDNs and OBS forks use with the AVC packet layout.
 */
import { FlvCodecId, FlvFourCc, FlvFrameType, FlvPacketType } from '../../../src/codec/flv.ts';

export type FlvVideoCodec = 'h264' | 'h265' | 'av1';

export type FlvVideoTag =
	/** A decoder configuration record: avcC, hvcC or av1C. */
	| { readonly kind: 'config'; readonly codec: FlvVideoCodec; readonly config: Uint8Array }
	/** One access unit as the tag carries it (length-prefixed NAL units for H.264/H.265, OBUs for AV1). */
	| {
			readonly kind: 'frame';
			readonly codec: FlvVideoCodec;
			readonly keyframe: boolean;
			readonly dtsMs: number;
			readonly ptsMs: number;
			readonly data: Uint8Array;
	  }
	/** Carries nothing media-wise: end of sequence, command frames, Enhanced RTMP metadata. */
	| { readonly kind: 'ignore' }
	/** Cannot be used: the reason is for logs and the dropped-units counter. */
	| { readonly kind: 'drop'; readonly reason: string };

const IGNORE: FlvVideoTag = { kind: 'ignore' };

/** Reads the SI24 composition time offset at `offset`. */
const readSi24 = (body: Uint8Array, offset: number): number => {
	const value = (body[offset]! << 16) | (body[offset + 1]! << 8) | body[offset + 2]!;
	return value & 0x800000 ? value - 0x1000000 : value;
};

const fourCcName = (value: number): string =>
	String.fromCharCode((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);

/**
 * Parses one video tag body. `timestampMs` is the tag's (unwrapped) timestamp, the DTS; the
 * frame's PTS adds the signed composition time. Never throws: bad bytes come back as `drop`.
 */
export const parseVideoTagBody = (body: Uint8Array, timestampMs: number): FlvVideoTag => {
	if (body.length < 1) return { kind: 'drop', reason: 'empty video tag' };
	const first = body[0]!;
	return first & 0x80 ? parseExtended(body, timestampMs) : parseLegacy(body, timestampMs);
};

const parseLegacy = (body: Uint8Array, timestampMs: number): FlvVideoTag => {
	const frameType = body[0]! >> 4;
	const codecId = body[0]! & 0x0f;
	if (frameType === FlvFrameType.Command) return IGNORE;
	const codec = codecId === FlvCodecId.Avc ? 'h264' : codecId === FlvCodecId.HevcLegacy ? 'h265' : undefined;
	if (!codec) return { kind: 'drop', reason: `video codec id ${codecId} is not supported` };
	if (body.length < 5) return { kind: 'drop', reason: `${codec} video tag of ${body.length} bytes is shorter than 5` };
	const packetType = body[1]!;
	const data = body.subarray(5);
	if (packetType === FlvPacketType.SequenceStart) return { kind: 'config', codec, config: data };
	if (packetType === FlvPacketType.SequenceEnd) return IGNORE;
	if (packetType !== FlvPacketType.CodedFrames)
		return { kind: 'drop', reason: `AVC packet type ${packetType} is unknown` };
	return frame(codec, frameType, timestampMs, readSi24(body, 2), data);
};

const parseExtended = (body: Uint8Array, timestampMs: number): FlvVideoTag => {
	const frameType = (body[0]! >> 4) & 0x07;
	const packetType = body[0]! & 0x0f;
	if (packetType === FlvPacketType.Metadata) return IGNORE;
	if (frameType === FlvFrameType.Command) return IGNORE;
	if (body.length < 5) return { kind: 'drop', reason: `enhanced video tag of ${body.length} bytes is shorter than 5` };
	const fourCc = ((body[1]! << 24) | (body[2]! << 16) | (body[3]! << 8) | body[4]!) >>> 0;
	const codec =
		fourCc === FlvFourCc.Hvc1
			? 'h265'
			: fourCc === FlvFourCc.Avc1
				? 'h264'
				: fourCc === FlvFourCc.Av01
					? 'av1'
					: undefined;
	if (!codec) return { kind: 'drop', reason: `video FourCC ${fourCcName(fourCc)} is not supported` };
	switch (packetType) {
		case FlvPacketType.SequenceStart:
			return { kind: 'config', codec, config: body.subarray(5) };
		case FlvPacketType.SequenceEnd:
			return IGNORE;
		case FlvPacketType.CodedFrames: {
			// Only AVC and HEVC carry the SI24 composition time offset; AV1 has no reordering field.
			if (codec === 'av1') return frame(codec, frameType, timestampMs, 0, body.subarray(5));
			if (body.length < 8) return { kind: 'drop', reason: `CodedFrames tag of ${body.length} bytes lacks its CTS` };
			return frame(codec, frameType, timestampMs, readSi24(body, 5), body.subarray(8));
		}
		case FlvPacketType.CodedFramesX:
			return frame(codec, frameType, timestampMs, 0, body.subarray(5));
		default:
			return { kind: 'drop', reason: `video packet type ${packetType} is not supported` };
	}
};

const frame = (
	codec: FlvVideoCodec,
	frameType: number,
	timestampMs: number,
	compositionMs: number,
	data: Uint8Array,
): FlvVideoTag => {
	if (data.length === 0) return { kind: 'drop', reason: 'video frame without data' };
	return {
		kind: 'frame',
		codec,
		keyframe: frameType === FlvFrameType.Key || frameType === FlvFrameType.GeneratedKey,
		dtsMs: timestampMs,
		ptsMs: timestampMs + compositionMs,
		data,
	};
};
