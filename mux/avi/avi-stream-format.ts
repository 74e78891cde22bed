/**
 * How each codec is described in an AVI stream list: the strh handler, timing (dwScale/dwRate:
 * one chunk per frame) and the strf payload, a BITMAPINFOHEADER for video or a WAVEFORMATEX for
 * audio (Microsoft "AVI RIFF File Reference"; mmreg.h format tags; ffmpeg's riff tag tables for
 * what players expect: 'H264'/'HEVC' with Annex B parameter sets after the header, 'mpg2' for
 * MPEG-1/2 video (its sequence headers are in the frames), AAC as 0x00FF with the
 * AudioSpecificConfig, MP3 as 0x0055 with MPEGLAYER3WAVEFORMAT, MP2 as 0x0050 with
 * MPEG1WAVEFORMAT).
 */
import { parameterSetsAnnexB } from '../../src/codec/parameter-sets.ts';
import { UnsupportedCodecError } from '../../src/core/errors.ts';
import type { Track } from '../../src/core/track.ts';
import { CODEC_CARRIERS } from '../codec-carriers.ts';

export type AviStreamFormat = {
	readonly track: Track;
	/** strh fccType. */
	readonly type: 'vids' | 'auds';
	/** strh fccHandler (video codec FourCC; empty for audio). */
	readonly handler: string;
	/** Chunk id suffix: compressed video or wave bytes. */
	readonly suffix: 'dc' | 'wb';
	/** Ticks of the track per chunk for audio (samples per frame); 0 for video (measured). */
	readonly samplesPerFrame: number;
	/** The strf chunk payload. */
	readonly strf: Uint8Array;
	/** Annex B parameter sets written before each video keyframe; empty for audio. */
	readonly parameterSets: Uint8Array;
};

/** mmreg.h wFormatTag values. */
const WAVE_FORMAT_MPEG = 0x0050;
const WAVE_FORMAT_MPEGLAYER3 = 0x0055;
const WAVE_FORMAT_AAC = 0x00ff;
const WAVE_FORMAT_AC3 = 0x2000;
/** Largest AC-3 frame (640 kbit/s at 32 kHz): as nBlockAlign it keeps every chunk one frame long. */
const AC3_MAX_FRAME_BYTES = 3840;

/** Throws UnsupportedCodecError for a codec AVI cannot carry here. */
export const aviStreamFormat = (track: Track): AviStreamFormat => {
	switch (track.codec) {
		case 'h264':
		case 'h265':
			return videoFormat(
				track,
				track.codec === 'h264' ? 'H264' : 'HEVC',
				parameterSetsAnnexB(track.codec, track.config),
			);
		case 'mpeg2video':
			return videoFormat(track, 'mpg2', new Uint8Array(0));
		case 'aac':
			return audioFormat(track, WAVE_FORMAT_AAC, 1024, 1024, track.config);
		case 'mp3':
			return audioFormat(track, WAVE_FORMAT_MPEGLAYER3, 1152, 1152, mpegLayer3Extra());
		case 'mp2':
			return audioFormat(track, WAVE_FORMAT_MPEG, 1152, 1152, mpeg1WaveExtra(track));
		case 'ac3':
			return audioFormat(track, WAVE_FORMAT_AC3, 1536, AC3_MAX_FRAME_BYTES, new Uint8Array(0));
		default:
			throw new UnsupportedCodecError(track.codec, 'avi', CODEC_CARRIERS[track.codec]);
	}
};

/** BITMAPINFOHEADER with `parameterSets` after it (also written before keyframes that lack them). */
const videoFormat = (track: Track, fourCc: string, parameterSets: Uint8Array): AviStreamFormat => {
	const width = track.video?.width ?? 0;
	const height = track.video?.height ?? 0;
	const strf = new Uint8Array(40 + parameterSets.length);
	const view = new DataView(strf.buffer);
	view.setUint32(0, strf.length, true); // biSize: the header plus the codec data after it (as ffmpeg writes)
	view.setInt32(4, width, true); // biWidth
	view.setInt32(8, height, true); // biHeight (positive: bottom-up, the convention for compressed video)
	view.setUint16(12, 1, true); // biPlanes
	view.setUint16(14, 24, true); // biBitCount
	setFourCc(strf, 16, fourCc); // biCompression
	view.setUint32(20, width * height * 3, true); // biSizeImage
	// biXPelsPerMeter, biYPelsPerMeter, biClrUsed, biClrImportant: 0
	strf.set(parameterSets, 40);
	return { track, type: 'vids', handler: fourCc, suffix: 'dc', samplesPerFrame: 0, strf, parameterSets };
};

/** WAVEFORMATEX; audio chunks are one frame each (VBR style: dwSampleSize 0, dwScale = samples per frame). */
const audioFormat = (
	track: Track,
	formatTag: number,
	samplesPerFrame: number,
	blockAlign: number,
	extra: Uint8Array,
): AviStreamFormat => {
	const strf = new Uint8Array(18 + extra.length);
	const view = new DataView(strf.buffer);
	const sampleRate = track.audio?.sampleRate ?? track.timescale;
	const frameSamples = track.codec === 'mp3' && sampleRate < 32000 ? 576 : samplesPerFrame;
	view.setUint16(0, formatTag, true); // wFormatTag
	view.setUint16(2, track.audio?.channels ?? 2, true); // nChannels
	view.setUint32(4, sampleRate, true); // nSamplesPerSec
	view.setUint32(8, 0, true); // nAvgBytesPerSec: patched with the measured rate at the end
	view.setUint16(12, track.codec === 'mp3' ? frameSamples : blockAlign, true); // nBlockAlign
	view.setUint16(14, 0, true); // wBitsPerSample: 0 for compressed formats
	view.setUint16(16, extra.length, true); // cbSize
	strf.set(extra, 18);
	return {
		track,
		type: 'auds',
		handler: '',
		suffix: 'wb',
		samplesPerFrame: frameSamples,
		strf,
		parameterSets: new Uint8Array(0),
	};
};

/** mmreg.h MPEGLAYER3WAVEFORMAT tail: wID, fdwFlags, nBlockSize, nFramesPerBlock, nCodecDelay. */
const mpegLayer3Extra = (): Uint8Array => {
	const extra = new Uint8Array(12);
	const view = new DataView(extra.buffer);
	view.setUint16(0, 1, true); // wID = MPEGLAYER3_ID_MPEG
	view.setUint32(2, 2, true); // fdwFlags = MPEGLAYER3_FLAG_PADDING_OFF
	view.setUint16(6, 0, true); // nBlockSize: unknown ahead (VBR-style chunks)
	view.setUint16(8, 1, true); // nFramesPerBlock
	view.setUint16(10, 1393, true); // nCodecDelay (the LAME default)
	return extra;
};

/**
 * mmreg.h MPEG1WAVEFORMAT tail for Layer II (as ffmpeg writes it): fwHeadLayer, dwHeadBitrate
 * (0: not fixed), fwHeadMode, fwHeadModeExt, wHeadEmphasis, fwHeadFlags, dwPTSLow, dwPTSHigh.
 */
const mpeg1WaveExtra = (track: Track): Uint8Array => {
	const extra = new Uint8Array(22);
	const view = new DataView(extra.buffer);
	view.setUint16(0, 2, true); // fwHeadLayer = ACM_MPEG_LAYER2
	view.setUint32(2, 0, true); // dwHeadBitrate: frames say theirs
	view.setUint16(6, (track.audio?.channels ?? 2) === 1 ? 8 : 1, true); // fwHeadMode: ACM_MPEG_SINGLECHANNEL or STEREO
	view.setUint16(8, 0, true); // fwHeadModeExt
	view.setUint16(10, 1, true); // wHeadEmphasis: none
	view.setUint16(12, (track.audio?.sampleRate ?? 48_000) >= 32_000 ? 0x10 : 0, true); // fwHeadFlags: ACM_MPEG_ID_MPEG1 or not
	return extra;
};

/** Writes a FourCC; an empty one is four zero bytes. */
export const setFourCc = (bytes: Uint8Array, at: number, fourCc: string): void => {
	for (let i = 0; i < 4; i++) bytes[at + i] = fourCc.charCodeAt(i) || 0;
};
