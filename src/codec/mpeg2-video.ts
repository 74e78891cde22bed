import { TapedeckError } from '../core/errors.ts';
import type { VideoInfo } from '../core/track.ts';
import { UnitRole } from './nal.ts';

/**
 * MPEG-2 video (ISO/IEC 13818-2; MPEG-1 video, ISO/IEC 11172-2, is read as its subset): the start
 * codes that frame it (§6.2.1, Table 6-1), the sequence header that gives the picture size
 * (§6.2.2.1) and the picture header that gives the coding type (§6.2.3). Units are the bytes after
 * each `00 00 01` prefix, the first being the start code value.
 */
export const Mpeg2StartCode = {
	Picture: 0x00,
	/** Slices use start codes 0x01..0xAF. */
	LastSlice: 0xaf,
	UserData: 0xb2,
	SequenceHeader: 0xb3,
	Extension: 0xb5,
	SequenceEnd: 0xb7,
	Group: 0xb8,
} as const;

/** picture_coding_type (Table 6-12): 1 = intra-coded (I). */
export const MPEG2_INTRA_PICTURE = 1;

/**
 * The `UnitRole` of the unit whose start code value is `data[at]`: sequence, GOP and picture
 * headers open an access unit (a picture with the headers before it); slices are the picture.
 */
export const mpeg2UnitRole = (data: Uint8Array, at: number): number => {
	const code = data[at]!;
	if (code >= 0x01 && code <= Mpeg2StartCode.LastSlice) return UnitRole.Picture;
	if (code === Mpeg2StartCode.Picture || code === Mpeg2StartCode.SequenceHeader || code === Mpeg2StartCode.Group) {
		return UnitRole.Opens;
	}
	return UnitRole.Inside;
};

/** picture_coding_type of the picture header unit at `data[at]` (after 10 bits of temporal_reference). */
export const mpeg2PictureCodingType = (data: Uint8Array, at: number): number => (data[at + 2]! >> 3) & 0x07;

/**
 * Picture size from a sequence header unit (`unit[0]` = 0xB3) and, when present, the sequence
 * extension that follows it (`extension[0]` = 0xB5, extension_start_code_identifier 1), whose size
 * extensions are the two high bits of each dimension (§6.3.5).
 */
export const parseMpeg2SequenceHeader = (unit: Uint8Array, extension?: Uint8Array): VideoInfo => {
	if (unit.length < 8 || unit[0] !== Mpeg2StartCode.SequenceHeader) {
		throw new TapedeckError('corrupt_input', `MPEG-2 sequence header of ${unit.length} bytes is too short`);
	}
	let width = (unit[1]! << 4) | (unit[2]! >> 4); // horizontal_size_value
	let height = ((unit[2]! & 0x0f) << 8) | unit[3]!; // vertical_size_value
	if (extension && extension.length >= 4 && extension[0] === Mpeg2StartCode.Extension && extension[1]! >> 4 === 1) {
		width |= (((extension[2]! & 0x01) << 1) | (extension[3]! >> 7)) << 12; // horizontal_size_extension
		height |= ((extension[3]! >> 5) & 0x03) << 12; // vertical_size_extension
	}
	if (width === 0 || height === 0) throw new TapedeckError('corrupt_input', 'MPEG-2 sequence header gives a zero size');
	return { width, height };
};
