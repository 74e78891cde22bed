import { TsStreamType } from '../../../src/codec/mpeg-ts.ts';
import type { CodecId, TrackKind } from '../../../src/core/track.ts';
import type { Descriptor, ElementaryStreamInfo } from './psi-tables.ts';

/** registration_descriptor (ISO/IEC 13818-1 §2.6.8) and the DVB descriptors that identify private streams. */
const REGISTRATION = 0x05;
const DVB_AC3 = 0x6a;
const DVB_EXTENSION = 0x7f;
const DVB_ENHANCED_AC3 = 0x7a;
const DVB_TELETEXT = 0x56;
const DVB_SUBTITLING = 0x59;
/** extension_descriptor_tag of the Opus audio descriptor (ETSI TS 102 366 style, as ffmpeg writes it). */
const OPUS_EXTENSION_TAG = 0x80;

/** Descriptors that say what a private PES holds: with none of them, its payload has to. */
const IDENTIFYING_TAGS = [REGISTRATION, DVB_AC3, DVB_EXTENSION, DVB_ENHANCED_AC3, DVB_TELETEXT, DVB_SUBTITLING];

const registered = (descriptors: readonly Descriptor[], format: string): boolean =>
	descriptors.some((d) => d.tag === REGISTRATION && String.fromCharCode(...d.data.subarray(0, 4)) === format);

/**
 * Blu-ray's stream_coding_type values (BD-ROM Part 3, in programs registered 'HDMV'; ffmpeg's M2TS
 * mode writes that registration): where they differ from ISO/IEC 13818-1 Table 2-34 and the
 * ATSC/SCTE assignments (0x86 is DTS-HD Master Audio here, not SCTE-35). 0x0F stays AAC in ADTS.
 */
const HDMV_STREAM_TYPES: Readonly<Record<number, string>> = {
	128: 'LPCM (Blu-ray)',
	129: 'AC-3',
	130: 'DTS',
	131: 'Dolby TrueHD',
	132: 'E-AC-3',
	133: 'DTS-HD High Resolution',
	134: 'DTS-HD Master Audio',
	144: 'PGS subtitles',
	145: 'Blu-ray interactive graphics',
	146: 'Blu-ray text subtitles',
	161: 'E-AC-3 (secondary audio)',
	162: 'DTS-HD (secondary audio)',
	234: 'VC-1',
};
const HDMV_AC3 = 0x81;

/** The name of a Blu-ray stream_coding_type in an 'HDMV' program, undefined otherwise. */
const hdmvStreamType = (info: ElementaryStreamInfo): string | undefined =>
	registered(info.programDescriptors, 'HDMV') ? HDMV_STREAM_TYPES[info.streamType] : undefined;

/**
 * A private PES (0x06) that no descriptor identifies: what it holds is told by its payload (AAC in
 * ADTS or AC-3, see SniffingElementaryStream), as ffmpeg probes such streams. ffmpeg's M2TS mode
 * types AAC this way.
 */
export const identifiedByPayload = (info: ElementaryStreamInfo): boolean =>
	info.streamType === TsStreamType.PrivatePes && !info.descriptors.some((d) => IDENTIFYING_TAGS.includes(d.tag));

/**
 * The codec of a PMT entry, or undefined for streams tapedeck does not read (they are ignored,
 * except private PES `identifiedByPayload`). Private PES (0x06) is told apart by its registration
 * ('Opus', 'AC-3') or DVB AC-3 descriptor; in an 'HDMV' program stream_type has Blu-ray's meaning.
 */
export const codecOfStream = (info: ElementaryStreamInfo): CodecId | undefined => {
	if (hdmvStreamType(info)) return info.streamType === HDMV_AC3 ? 'ac3' : undefined;
	switch (info.streamType) {
		case TsStreamType.H264:
			return 'h264';
		case TsStreamType.H265:
			return 'h265';
		case TsStreamType.AacAdts:
			return 'aac';
		case TsStreamType.Mpeg1Video:
		case TsStreamType.Mpeg2Video:
			return 'mpeg2video';
		case TsStreamType.Mpeg1Audio:
		case TsStreamType.Mpeg2Audio:
			return 'mp3'; // or 'mp2': the layer is in the frame headers, see mpegAudioFraming
		case TsStreamType.Ac3:
			return 'ac3';
		case TsStreamType.AacLatm:
			return 'aac';
		case TsStreamType.Scte35:
			return 'scte35';
		case TsStreamType.PrivatePes:
			if (registered(info.descriptors, 'Opus')) return 'opus';
			if (registered(info.descriptors, 'AC-3') || info.descriptors.some((d) => d.tag === DVB_AC3)) return 'ac3';
			return undefined;
		default:
			return undefined;
	}
};

/** The kind of track a codec makes. */
export const kindOfCodec = (codec: CodecId): TrackKind =>
	codec === 'h264' || codec === 'h265' || codec === 'mpeg2video' || codec === 'av1'
		? 'video'
		: codec === 'scte35'
			? 'data'
			: 'audio';

/** stream_type names (ISO/IEC 13818-1 Table 2-34 and the usual private assignments) for warnings and probe. */
const STREAM_TYPE_NAMES: Readonly<Record<number, string>> = {
	1: 'MPEG-1 video',
	2: 'MPEG-2 video',
	3: 'MPEG-1 audio',
	4: 'MPEG-2 audio',
	5: 'private sections',
	6: 'private PES',
	15: 'AAC (ADTS)',
	16: 'MPEG-4 video',
	17: 'AAC (LATM)',
	21: 'metadata',
	27: 'H.264',
	36: 'H.265',
	129: 'AC-3',
	134: 'SCTE-35',
	135: 'E-AC-3',
};

/**
 * A name for a PMT entry: its stream_type's, refined by the DVB descriptors that say what a private
 * PES holds (subtitling 0x59, teletext 0x56, E-AC-3 0x7A; ETSI EN 300 468 §6.2).
 */
export const describeStream = (info: ElementaryStreamInfo): string => {
	const tags = info.descriptors.map((d) => d.tag);
	if (tags.includes(DVB_SUBTITLING)) return 'DVB subtitles';
	if (tags.includes(DVB_TELETEXT)) return 'teletext';
	if (tags.includes(DVB_ENHANCED_AC3)) return 'E-AC-3';
	const codec = info.streamType === TsStreamType.PrivatePes ? codecOfStream(info) : undefined;
	if (codec) return codec === 'opus' ? 'Opus' : 'AC-3';
	if (identifiedByPayload(info)) return 'private PES, AAC or AC-3 by its payload';
	return hdmvStreamType(info) ?? STREAM_TYPE_NAMES[info.streamType] ?? 'unknown stream type';
};

/** Opus channel count from the extension descriptor's channel_config_code: 1..8, else 2 (also for dual mono, 0). */
export const opusChannels = (info: ElementaryStreamInfo): number => {
	const extension = info.descriptors.find((d) => d.tag === DVB_EXTENSION && d.data[0] === OPUS_EXTENSION_TAG);
	const code = extension?.data[1] ?? 2;
	return code >= 1 && code <= 8 ? code : 2;
};
