import { TsStreamType } from '../../../src/codec/mpeg-ts.ts';
import type { CodecId } from '../../../src/core/track.ts';
import type { Descriptor, ElementaryStreamInfo } from './psi-tables.ts';

/** registration_descriptor (ISO/IEC 13818-1 §2.6.8) and the DVB descriptors that identify private streams. */
const REGISTRATION = 0x05;
const DVB_AC3 = 0x6a;
const DVB_EXTENSION = 0x7f;
/** extension_descriptor_tag of the Opus audio descriptor (ETSI TS 102 366 style, as ffmpeg writes it). */
const OPUS_EXTENSION_TAG = 0x80;

const registered = (descriptors: readonly Descriptor[], format: string): boolean =>
	descriptors.some((d) => d.tag === REGISTRATION && String.fromCharCode(...d.data.subarray(0, 4)) === format);

/**
 * The codec of a PMT entry, or undefined for streams tapedeck does not read (they are ignored).
 * Private PES (0x06) is told apart by its registration ('Opus', 'AC-3') or DVB AC-3 descriptor.
 */
export const codecOfStream = (info: ElementaryStreamInfo): CodecId | undefined => {
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
		case TsStreamType.PrivatePes:
			if (registered(info.descriptors, 'Opus')) return 'opus';
			if (registered(info.descriptors, 'AC-3') || info.descriptors.some((d) => d.tag === DVB_AC3)) return 'ac3';
			return undefined;
		default:
			return undefined;
	}
};

/** Opus channel count from the extension descriptor's channel_config_code: 1..8, else 2 (also for dual mono, 0). */
export const opusChannels = (info: ElementaryStreamInfo): number => {
	const extension = info.descriptors.find((d) => d.tag === DVB_EXTENSION && d.data[0] === OPUS_EXTENSION_TAG);
	const code = extension?.data[1] ?? 2;
	return code >= 1 && code <= 8 ? code : 2;
};
