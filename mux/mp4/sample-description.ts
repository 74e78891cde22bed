/**
 * The sample description box (stsd, ISO/IEC 14496-12 §8.5.2) with a track's one sample entry:
 * avc1+avcC and hvc1+hvcC (ISO/IEC 14496-15 §5.4, §8.4), mp4v+esds for MPEG-1/2 video
 * and mp4a+esds for AAC, MP3 and MP2 (ISO/IEC 14496-14 §5.6, 14496-1 §7.2.6.5), Opus+dOps
 * (Encapsulation of Opus in ISOBMFF §4.3), ac-3+dac3 (ETSI TS 102 366 Annex F). QuickTime files
 * use the version 1 sound description (QTFF "Sound Sample Descriptions") that QuickTime expects
 * for compressed audio, with Layer II as QuickTime's own '.mp2' (as ffmpeg writes it: an mp4a
 * entry cannot tell Layer II from Layer III, so readers would name it MP3), and the same mp4v
 * entry for MPEG-2 video, which ffmpeg and VLC read in MOV too.
 */
import { TapedeckError, UnsupportedCodecError } from '../../src/core/errors.ts';
import type { Track } from '../../src/core/track.ts';
import { isMpeg1Video } from '../mpeg-video-version.ts';
import { ac3SpecificBox } from './ac3-specific-box.ts';
import { BoxWriter } from './box-writer.ts';

/**
 * MPEG-4 objectTypeIndication (ISO/IEC 14496-1 Table 5, MP4REG). MPEG-2 video is written as Main
 * profile (0x61) whatever its profile, as ffmpeg does: decoders read the profile from the sequence
 * header. MPEG audio is 0x6B (ISO/IEC 11172-3) at 32 kHz and up, 0x69 (13818-3) at the MPEG-2
 * low rates, Layer II and III alike, again as ffmpeg writes it.
 */
const OBJECT_TYPE_AAC = 0x40;
const OBJECT_TYPE_MPEG2_VIDEO_MAIN = 0x61;
const OBJECT_TYPE_MPEG1_VIDEO = 0x6a;
const OBJECT_TYPE_MPEG2_AUDIO = 0x69;
const OBJECT_TYPE_MPEG1_AUDIO = 0x6b;
/** DecoderConfigDescriptor streamType (ISO/IEC 14496-1 Table 6). */
const STREAM_TYPE_VISUAL = 4;
const STREAM_TYPE_AUDIO = 5;

/** Rejects, before any byte is written, tracks this muxer cannot describe. */
export const checkTrackForMp4 = (track: Track, container: string): void => {
	const needsConfig =
		track.codec === 'h264' || track.codec === 'h265' || track.codec === 'aac' || track.codec === 'mpeg2video';
	// AV1 in ISOBMFF (av01 + av1C) is not written yet, and no other tapedeck container carries AV1.
	if (track.codec === 'av1') throw new UnsupportedCodecError('av1', container, []);
	if (needsConfig && track.config.length === 0) {
		throw new TapedeckError(
			'invalid_argument',
			`track ${track.id} (${track.codec}) has no decoder configuration: ${container} needs it in the sample entry`,
		);
	}
	if (!Number.isInteger(track.timescale) || track.timescale <= 0 || track.timescale >= 2 ** 32) {
		throw new TapedeckError(
			'invalid_argument',
			`track ${track.id}: timescale must be a positive 32-bit integer, got ${track.timescale}`,
		);
	}
	if (!Number.isInteger(track.id) || track.id < 1 || track.id >= 2 ** 32) {
		throw new TapedeckError('invalid_argument', `track id must be a positive 32-bit integer, got ${track.id}`);
	}
};

export type SampleDescriptionOptions = {
	readonly quickTime: boolean;
	/** Average bit rate for esds, 0 when unknown (fragmented init segments). */
	readonly averageBitrate?: number;
};

/**
 * The complete stsd box with the track's one sample entry; `firstFrame` is the start of the first
 * frame written (AC-3 builds dac3 from its header). One entry only: players follow no second one
 * (see `Muxer.updateTrack`), so new parameters start a new file.
 */
export const sampleDescription = (
	track: Track,
	firstFrame: Uint8Array | undefined,
	options: SampleDescriptionOptions,
): Uint8Array => {
	const w = new BoxWriter(256 + track.config.length);
	const stsd = w.beginFull('stsd', 0, 0);
	w.u32(1); // entry_count
	if (track.kind === 'video') writeVisualSampleEntry(w, track, options);
	else writeAudioSampleEntry(w, track, firstFrame, options);
	w.end(stsd);
	return w.bytes().slice();
};

const VIDEO_ENTRY_TYPES: Readonly<Record<string, string>> = { h264: 'avc1', h265: 'hvc1', mpeg2video: 'mp4v' };

/** VisualSampleEntry (ISO/IEC 14496-12 §12.1.3); QTFF's video sample description has the same layout. */
const writeVisualSampleEntry = (w: BoxWriter, track: Track, options: SampleDescriptionOptions): void => {
	const type = VIDEO_ENTRY_TYPES[track.codec];
	if (!type) throw new UnsupportedCodecError(track.codec, 'mp4', []);
	const entry = w.begin(type);
	w.zeros(6); // reserved
	w.u16(1); // data_reference_index
	w.u16(0); // pre_defined (QT: version)
	w.u16(0); // reserved (QT: revision level)
	w.zeros(12); // pre_defined[3] (QT: vendor, temporal quality, spatial quality)
	w.u16(track.video?.width ?? 0); // width
	w.u16(track.video?.height ?? 0); // height
	w.u32(0x00480000); // horizresolution: 72 dpi
	w.u32(0x00480000); // vertresolution: 72 dpi
	w.u32(0); // reserved (QT: data size)
	w.u16(1); // frame_count
	w.zeros(32); // compressorname: empty Pascal string
	w.u16(0x0018); // depth: colour, no alpha
	w.i16(-1); // pre_defined (QT: color table id, none)
	if (track.codec === 'mpeg2video') {
		// The sequence header (and extension) as DecoderSpecificInfo (ISO/IEC 14496-1 §7.2.6.7).
		const objectType = isMpeg1Video(track.config) ? OBJECT_TYPE_MPEG1_VIDEO : OBJECT_TYPE_MPEG2_VIDEO_MAIN;
		writeEsds(w, objectType, STREAM_TYPE_VISUAL, track.config, options.averageBitrate ?? 0);
	} else {
		const config = w.begin(track.codec === 'h265' ? 'hvcC' : 'avcC');
		w.write(track.config); // HEVCDecoderConfigurationRecord / AVCDecoderConfigurationRecord
		w.end(config);
	}
	w.end(entry);
};

const AUDIO_ENTRY_TYPES: Readonly<Record<string, string>> = {
	aac: 'mp4a',
	mp3: 'mp4a',
	mp2: 'mp4a',
	opus: 'Opus',
	ac3: 'ac-3',
};

/** QTFF version 1 sound description: samples in each compressed packet, where the codec fixes it. */
const SAMPLES_PER_PACKET: Readonly<Record<string, number>> = { aac: 1024, mp2: 1152 };

/** AudioSampleEntry (ISO/IEC 14496-12 §12.2.3), or QTFF's version 1 sound description for QuickTime. */
const writeAudioSampleEntry = (
	w: BoxWriter,
	track: Track,
	firstFrame: Uint8Array | undefined,
	options: SampleDescriptionOptions,
): void => {
	const type = options.quickTime && track.codec === 'mp2' ? '.mp2' : AUDIO_ENTRY_TYPES[track.codec];
	if (!type) throw new UnsupportedCodecError(track.codec, 'mp4', []);
	// Opus always runs at 48 kHz in the sample entry (Opus in ISOBMFF §4.3.1).
	const sampleRate = track.codec === 'opus' ? 48_000 : (track.audio?.sampleRate ?? track.timescale);
	const version = options.quickTime ? 1 : 0;
	const entry = w.begin(type);
	w.zeros(6); // reserved
	w.u16(1); // data_reference_index
	w.u16(version); // reserved (QT: version)
	w.u16(0); // reserved (QT: revision level)
	w.u32(0); // reserved (QT: vendor)
	w.u16(track.audio?.channels ?? 2); // channelcount
	w.u16(16); // samplesize
	w.i16(options.quickTime ? -2 : 0); // pre_defined (QT: compression ID, -2 = variable compressed)
	w.u16(0); // reserved (QT: packet size)
	w.u32(sampleRate < 65536 ? sampleRate * 65536 : 0); // samplerate, 16.16 fixed point
	if (options.quickTime) {
		w.u32(SAMPLES_PER_PACKET[track.codec] ?? 0); // samples per packet
		w.u32(0); // bytes per packet (variable)
		w.u32(0); // bytes per frame (variable)
		w.u32(2); // bytes per sample
	}
	if (type === 'mp4a') {
		const mpeg1 = sampleRate >= 32_000;
		const objectType =
			track.codec === 'aac' ? OBJECT_TYPE_AAC : mpeg1 ? OBJECT_TYPE_MPEG1_AUDIO : OBJECT_TYPE_MPEG2_AUDIO;
		writeEsds(w, objectType, STREAM_TYPE_AUDIO, track.config, options.averageBitrate ?? 0);
	} else if (type === 'Opus') {
		writeDops(w, track);
	} else if (type === 'ac-3') {
		const dac3 = w.begin('dac3');
		w.write(ac3SpecificBox(track.config, firstFrame));
		w.end(dac3);
	} // '.mp2': the sound description says it all
	w.end(entry);
};

/** ES_Descriptor in an esds box (ISO/IEC 14496-1 §7.2.6.5, 14496-14 §5.6). */
const writeEsds = (
	w: BoxWriter,
	objectType: number,
	streamType: number,
	decoderSpecificInfo: Uint8Array,
	averageBitrate: number,
): void => {
	const esds = w.beginFull('esds', 0, 0);
	const dsiLength = decoderSpecificInfo.length > 0 ? 2 + decoderSpecificInfo.length : 0;
	const decoderConfigLength = 13 + dsiLength;
	w.u8(0x03); // ES_DescrTag
	writeDescriptorLength(w, 3 + 2 + decoderConfigLength + 3);
	w.u16(0); // ES_ID (0 in files: the track id says it)
	w.u8(0); // streamDependenceFlag, URL_Flag, OCRstreamFlag, streamPriority
	w.u8(0x04); // DecoderConfigDescrTag
	writeDescriptorLength(w, decoderConfigLength);
	w.u8(objectType); // objectTypeIndication
	w.u8((streamType << 2) | 1); // streamType, upStream 0, reserved 1
	w.u24(0); // bufferSizeDB
	w.u32(averageBitrate); // maxBitrate (the average: the peak is not tracked)
	w.u32(averageBitrate); // avgBitrate
	if (decoderSpecificInfo.length > 0) {
		w.u8(0x05); // DecSpecificInfoTag
		writeDescriptorLength(w, decoderSpecificInfo.length);
		w.write(decoderSpecificInfo); // AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), or the MPEG-2 sequence header
	}
	w.u8(0x06); // SLConfigDescrTag
	w.u8(1); // length
	w.u8(2); // predefined: reserved for use in MP4 files
	w.end(esds);
};

/** Descriptor sizes are 7 bits a byte, high bit set on all but the last (ISO/IEC 14496-1 §8.3.3). */
const writeDescriptorLength = (w: BoxWriter, length: number): void => {
	let shift = 0;
	while (length >= 2 ** (shift + 7)) shift += 7;
	for (; shift > 0; shift -= 7) w.u8(0x80 | (Math.floor(length / 2 ** shift) & 0x7f));
	w.u8(length & 0x7f);
};

/**
 * dOps (Opus in ISOBMFF §4.3.2): the box payload from the track config, an Ogg `OpusHead`
 * (RFC 7845 §5.1) converted, or stereo defaults when the source sent no header.
 */
const writeDops = (w: BoxWriter, track: Track): void => {
	const config = track.config;
	const dops = w.begin('dOps');
	if (config.length >= 19 && String.fromCharCode(...config.subarray(0, 8)) === 'OpusHead') {
		const head = new DataView(config.buffer, config.byteOffset, config.length);
		w.u8(0); // Version
		w.u8(head.getUint8(9)); // OutputChannelCount
		w.u16(head.getUint16(10, true)); // PreSkip (OpusHead is little-endian, dOps big-endian)
		w.u32(head.getUint32(12, true)); // InputSampleRate
		w.i16(head.getInt16(16, true)); // OutputGain
		w.write(config.subarray(18)); // ChannelMappingFamily and, when non-zero, the mapping table
	} else if (config.length >= 11) {
		w.write(config);
	} else if (config.length === 0 && (track.audio?.channels ?? 2) <= 2) {
		// No header from the source: the defaults of a mono/stereo stream (mapping family 0).
		w.u8(0); // Version
		w.u8(track.audio?.channels ?? 2); // OutputChannelCount
		w.u16(0); // PreSkip
		w.u32(track.audio?.sampleRate ?? 48_000); // InputSampleRate
		w.i16(0); // OutputGain
		w.u8(0); // ChannelMappingFamily
	} else {
		throw new TapedeckError(
			'invalid_argument',
			`Opus track config must be a dOps payload or OpusHead, got ${config.length} bytes`,
		);
	}
	w.end(dops);
};
