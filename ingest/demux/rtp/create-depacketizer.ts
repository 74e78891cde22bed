import { TapedeckError } from '../../../src/core/errors.ts';
import type { TrackKind } from '../../../src/core/track.ts';
import { AacDepacketizer } from './aac-depacketizer.ts';
import { H264Depacketizer } from './h264-depacketizer.ts';
import { H265Depacketizer } from './h265-depacketizer.ts';
import { LatmDepacketizer } from './latm-depacketizer.ts';
import type { AccessUnitReceiver, RtpDepacketizer } from './rtp-depacketizer.ts';

/** One RTP payload format as an SDP declares it (rtpmap + fmtp of one payload type). */
export type RtpFormat = {
	readonly payloadType: number;
	/** Upper-cased encoding name: H264, H265, MPEG4-GENERIC, MP2T, … */
	readonly encoding: string;
	readonly clockRate: number;
	readonly channels: number;
	readonly fmtp: ReadonlyMap<string, string>;
};

/** The track kind of a format tapedeck can depacketize into access units, or undefined. */
export const depacketizedKind = (format: RtpFormat): TrackKind | undefined => {
	switch (format.encoding) {
		case 'H264':
		case 'H265':
			return 'video';
		case 'MPEG4-GENERIC':
			return /audio|^5$/i.test(format.fmtp.get('streamtype') ?? '5') ? 'audio' : undefined;
		case 'MP4A-LATM':
			return 'audio';
		default:
			return undefined;
	}
};

/** MPEG-TS over RTP (RFC 2250): carried whole to a TS demuxer instead of a depacketizer. */
export const isMp2t = (format: RtpFormat): boolean => format.encoding === 'MP2T';

/** A depacketizer for the format; TapedeckError('unsupported') naming the format when there is none. */
export const createDepacketizer = (format: RtpFormat, receiver: AccessUnitReceiver): RtpDepacketizer => {
	switch (format.encoding) {
		case 'H264':
			return new H264Depacketizer(receiver, format.fmtp);
		case 'H265':
			return new H265Depacketizer(receiver, format.fmtp);
		case 'MPEG4-GENERIC':
			return new AacDepacketizer(receiver, format.clockRate, format.fmtp);
		case 'MP4A-LATM':
			return new LatmDepacketizer(receiver, format.clockRate, format.fmtp);
		default:
			throw new TapedeckError(
				'unsupported',
				`RTP payload format ${format.encoding}/${format.clockRate} (payload type ${format.payloadType}) is not supported; supported: H264, H265, MPEG4-GENERIC and MP4A-LATM (AAC), MP2T`,
			);
	}
};
