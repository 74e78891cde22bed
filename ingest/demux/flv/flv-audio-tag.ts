/**
 * The body of an FLV audio tag (or an RTMP audio message).
 *
 * References: Adobe "Video File Format Specification" v10.1 §E.4.2.1 AUDIODATA / AACAUDIODATA;
 * veovera "Enhanced RTMP" v2 ExAudioTagHeader (SoundFormat 9, AudioPacketType, FourCC).
 */
import { FlvFourCc, FlvPacketType, FlvSoundFormat } from '../../../src/codec/flv.ts';

export type FlvAudioCodec = 'aac' | 'mp3';

export type FlvAudioTag =
	/** AAC AudioSpecificConfig. */
	| { readonly kind: 'config'; readonly codec: FlvAudioCodec; readonly config: Uint8Array }
	/** One raw AAC frame, or MP3 frame(s) with their headers. */
	| { readonly kind: 'frame'; readonly codec: FlvAudioCodec; readonly data: Uint8Array }
	| { readonly kind: 'ignore' }
	| { readonly kind: 'drop'; readonly reason: string };

const IGNORE: FlvAudioTag = { kind: 'ignore' };

/** Parses one audio tag body. Never throws: bad bytes come back as `drop`. */
export const parseAudioTagBody = (body: Uint8Array): FlvAudioTag => {
	if (body.length < 1) return { kind: 'drop', reason: 'empty audio tag' };
	const format = body[0]! >> 4;
	switch (format) {
		case FlvSoundFormat.Aac: {
			if (body.length < 2) return { kind: 'drop', reason: 'AAC audio tag without packet type' };
			return aac(body[1]!, body.subarray(2));
		}
		case FlvSoundFormat.Mp3:
		case FlvSoundFormat.Mp3At8kHz:
			return mp3(body.subarray(1));
		case FlvSoundFormat.ExHeader:
			return parseExtended(body);
		default:
			return { kind: 'drop', reason: `audio sound format ${format} is not supported` };
	}
};

const aac = (packetType: number, data: Uint8Array): FlvAudioTag => {
	if (packetType === FlvPacketType.SequenceStart) {
		return data.length >= 2 ? { kind: 'config', codec: 'aac', config: data } : { kind: 'drop', reason: 'short ASC' };
	}
	if (packetType === FlvPacketType.SequenceEnd) return IGNORE;
	if (packetType !== FlvPacketType.CodedFrames)
		return { kind: 'drop', reason: `AAC packet type ${packetType} is unknown` };
	return data.length > 0 ? { kind: 'frame', codec: 'aac', data } : { kind: 'drop', reason: 'empty AAC frame' };
};

const mp3 = (data: Uint8Array): FlvAudioTag =>
	data.length > 0 ? { kind: 'frame', codec: 'mp3', data } : { kind: 'drop', reason: 'empty MP3 frame' };

const parseExtended = (body: Uint8Array): FlvAudioTag => {
	if (body.length < 5) return { kind: 'drop', reason: `enhanced audio tag of ${body.length} bytes is shorter than 5` };
	const packetType = body[0]! & 0x0f;
	const fourCc = ((body[1]! << 24) | (body[2]! << 16) | (body[3]! << 8) | body[4]!) >>> 0;
	const data = body.subarray(5);
	if (fourCc === FlvFourCc.Mp4a) return aac(packetType, data);
	if (fourCc === FlvFourCc.Mp3) {
		if (packetType === FlvPacketType.CodedFrames) return mp3(data);
		return IGNORE;
	}
	return { kind: 'drop', reason: `audio FourCC 0x${fourCc.toString(16)} is not supported` };
};
