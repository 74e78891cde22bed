import { BitReader } from '../bytes/bit-reader.ts';
import { TapedeckError } from '../core/errors.ts';
import { UnitRole, unescapeRbsp } from './nal.ts';

/**
 * H.264 / AVC: NAL unit types, the sequence parameter set fields a container needs, and the
 * AVCDecoderConfigurationRecord (avcC). References: ITU-T H.264 §7.3.2.1.1 (SPS), ISO/IEC
 * 14496-15 §5.3.3.1 (avcC).
 */

/** nal_unit_type values (ITU-T H.264 Table 7-1) that containers treat specially. */
export const H264NalType = {
	NonIdrSlice: 1,
	IdrSlice: 5,
	Sei: 6,
	Sps: 7,
	Pps: 8,
	AccessUnitDelimiter: 9,
} as const;

/** nal_unit_type: the low five bits of the first header byte. */
export const h264NalType = (firstByte: number): number => firstByte & 0x1f;

/**
 * The `UnitRole` of the NAL unit whose header byte is `data[at]` (§7.4.1.2.3): AUD, SPS, PPS, SEI
 * and types 14–18 open an access unit; a coded slice (types 1–5) whose first_mb_in_slice is 0 —
 * ue(v) 0 is the single bit '1', the first bit after the header — starts a picture.
 */
export const h264UnitRole = (data: Uint8Array, at: number): number => {
	const type = data[at]! & 0x1f;
	if (type >= 1 && type <= 5) return data[at + 1]! & 0x80 ? UnitRole.PictureStart : UnitRole.Picture;
	if ((type >= 6 && type <= 9) || (type >= 14 && type <= 18)) return UnitRole.Opens;
	return UnitRole.Inside;
};

/** What the SPS says about the picture and profile. */
export type H264Sps = {
	readonly profileIdc: number;
	/** constraint_set0..5 flags and reserved bits: the byte between profile and level. */
	readonly profileCompatibility: number;
	readonly levelIdc: number;
	readonly spsId: number;
	readonly chromaFormatIdc: number;
	readonly bitDepthLuma: number;
	readonly bitDepthChroma: number;
	/** Displayed size: coded macroblocks minus the frame cropping window. */
	readonly width: number;
	readonly height: number;
	/**
	 * VUI max_num_reorder_frames (§E.2.1): frames that may precede a frame in decode order and follow
	 * it in output order; undefined when the SPS has no bitstream_restriction. Added by the RTSP helper.
	 */
	readonly maxNumReorderFrames?: number;
};

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an SPS NAL unit (header byte included). Throws a corrupt_input TapedeckError when truncated. */
export const parseH264Sps = (nal: Uint8Array): H264Sps => {
	const r = new BitReader(unescapeRbsp(nal), 1);
	const profileIdc = r.readBits(8);
	const profileCompatibility = r.readBits(8);
	const levelIdc = r.readBits(8);
	const spsId = r.readUe();
	let chromaFormatIdc = 1;
	let separateColourPlane = false;
	let bitDepthLuma = 8;
	let bitDepthChroma = 8;
	if (HIGH_PROFILES.has(profileIdc)) {
		chromaFormatIdc = r.readUe();
		if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
		bitDepthLuma = r.readUe() + 8;
		bitDepthChroma = r.readUe() + 8;
		r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
		if (r.readFlag()) {
			// seq_scaling_matrix_present_flag: 6 4x4 lists, then 2 (or 6 for 4:4:4) 8x8 lists
			const lists = chromaFormatIdc === 3 ? 12 : 8;
			for (let i = 0; i < lists; i++) if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
		}
	}
	r.readUe(); // log2_max_frame_num_minus4
	const pocType = r.readUe();
	if (pocType === 0) {
		r.readUe(); // log2_max_pic_order_cnt_lsb_minus4
	} else if (pocType === 1) {
		r.skipBits(1); // delta_pic_order_always_zero_flag
		r.readSe(); // offset_for_non_ref_pic
		r.readSe(); // offset_for_top_to_bottom_field
		const cycle = r.readUe(); // num_ref_frames_in_pic_order_cnt_cycle
		for (let i = 0; i < cycle; i++) r.readSe();
	}
	r.readUe(); // max_num_ref_frames
	r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
	const widthInMbs = r.readUe() + 1;
	const heightInMapUnits = r.readUe() + 1;
	const frameMbsOnly = r.readBit();
	if (!frameMbsOnly) r.skipBits(1); // mb_adaptive_frame_field_flag
	r.skipBits(1); // direct_8x8_inference_flag
	let width = widthInMbs * 16;
	let height = (2 - frameMbsOnly) * heightInMapUnits * 16;
	if (r.readFlag()) {
		// frame_cropping_flag: offsets in chroma sample units (Table 6-1 and equations 7-19..7-22)
		const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
		const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
		const subHeightC = chromaArrayType === 1 ? 2 : 1;
		const cropX = chromaArrayType === 0 ? 1 : subWidthC;
		const cropY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
		const left = r.readUe();
		const right = r.readUe();
		const top = r.readUe();
		const bottom = r.readUe();
		width -= cropX * (left + right);
		height -= cropY * (top + bottom);
	}
	const maxNumReorderFrames = r.bitsLeft > 0 && r.readFlag() ? readVuiReorderFrames(r) : undefined;
	return {
		profileIdc,
		profileCompatibility,
		levelIdc,
		spsId,
		chromaFormatIdc,
		bitDepthLuma,
		bitDepthChroma,
		width,
		height,
		...(maxNumReorderFrames === undefined ? {} : { maxNumReorderFrames }),
	};
};

/** vui_parameters() (§E.1.1) up to max_num_reorder_frames; undefined without bitstream_restriction or when truncated. */
const readVuiReorderFrames = (r: BitReader): number | undefined => {
	try {
		if (r.readFlag() && r.readBits(8) === 255) r.skipBits(32); // aspect_ratio_idc, Extended_SAR: sar_width, sar_height
		if (r.readFlag()) r.skipBits(1); // overscan_info_present_flag → overscan_appropriate_flag
		if (r.readFlag()) {
			// video_signal_type_present_flag: video_format, video_full_range_flag, colour_description_present_flag
			r.skipBits(4);
			if (r.readFlag()) r.skipBits(24); // colour_primaries, transfer_characteristics, matrix_coefficients
		}
		if (r.readFlag()) {
			r.readUe(); // chroma_sample_loc_type_top_field
			r.readUe(); // chroma_sample_loc_type_bottom_field
		}
		if (r.readFlag()) r.skipBits(65); // timing_info: num_units_in_tick, time_scale, fixed_frame_rate_flag
		const nalHrd = r.readFlag();
		if (nalHrd) skipHrdParameters(r);
		const vclHrd = r.readFlag();
		if (vclHrd) skipHrdParameters(r);
		if (nalHrd || vclHrd) r.skipBits(1); // low_delay_hrd_flag
		r.skipBits(1); // pic_struct_present_flag
		if (!r.readFlag()) return undefined; // bitstream_restriction_flag
		r.skipBits(1); // motion_vectors_over_pic_boundaries_flag
		for (let i = 0; i < 4; i++) r.readUe(); // max_bytes_per_pic_denom, max_bits_per_mb_denom, log2_max_mv_length_{h,v}
		return r.readUe(); // max_num_reorder_frames
	} catch {
		return undefined;
	}
};

/** hrd_parameters() (§E.1.2). */
const skipHrdParameters = (r: BitReader): void => {
	const count = r.readUe() + 1; // cpb_cnt_minus1
	r.skipBits(8); // bit_rate_scale, cpb_size_scale
	for (let i = 0; i < count; i++) {
		r.readUe(); // bit_rate_value_minus1
		r.readUe(); // cpb_size_value_minus1
		r.skipBits(1); // cbr_flag
	}
	r.skipBits(20); // initial_cpb_removal_delay_length_minus1, cpb_removal_delay_length_minus1, dpb_output_delay_length_minus1, time_offset_length
};

/** scaling_list() (§7.3.2.1.1.1): only the delta_scale codes matter for skipping. */
const skipScalingList = (r: BitReader, size: number): void => {
	let last = 8;
	let next = 8;
	for (let j = 0; j < size && next !== 0; j++) {
		next = (last + r.readSe() + 256) % 256;
		if (next !== 0) last = next;
	}
};

/** The parameter sets and profile fields of an avcC record. */
export type AvcConfig = {
	readonly profileIdc: number;
	readonly profileCompatibility: number;
	readonly levelIdc: number;
	/** Bytes of each NAL length field in samples (1, 2 or 4). */
	readonly lengthSize: number;
	readonly sps: readonly Uint8Array[];
	readonly pps: readonly Uint8Array[];
};

/** Builds an avcC record (4-byte NAL lengths) from SPS and PPS NAL units; the first SPS gives the profile. */
export const buildAvcC = (sps: readonly Uint8Array[], pps: readonly Uint8Array[]): Uint8Array => {
	const first = sps[0];
	if (!first) throw new TapedeckError('invalid_argument', 'avcC needs at least one SPS, got none');
	const info = parseH264Sps(first);
	const highExtension = [100, 110, 122, 144].includes(info.profileIdc);
	let size = 7 + (highExtension ? 4 : 0);
	for (const unit of [...sps, ...pps]) size += 2 + unit.length;
	const out = new Uint8Array(size);
	const view = new DataView(out.buffer);
	out[0] = 1; // configurationVersion
	out[1] = info.profileIdc; // AVCProfileIndication
	out[2] = info.profileCompatibility; // profile_compatibility
	out[3] = info.levelIdc; // AVCLevelIndication
	out[4] = 0xfc | 3; // reserved '111111', lengthSizeMinusOne = 3
	out[5] = 0xe0 | sps.length; // reserved '111', numOfSequenceParameterSets
	let at = 6;
	for (const unit of sps) {
		view.setUint16(at, unit.length); // sequenceParameterSetLength
		out.set(unit, at + 2);
		at += 2 + unit.length;
	}
	out[at++] = pps.length; // numOfPictureParameterSets
	for (const unit of pps) {
		view.setUint16(at, unit.length); // pictureParameterSetLength
		out.set(unit, at + 2);
		at += 2 + unit.length;
	}
	if (highExtension) {
		out[at++] = 0xfc | info.chromaFormatIdc; // reserved '111111', chroma_format
		out[at++] = 0xf8 | (info.bitDepthLuma - 8); // reserved '11111', bit_depth_luma_minus8
		out[at++] = 0xf8 | (info.bitDepthChroma - 8); // reserved '11111', bit_depth_chroma_minus8
		out[at++] = 0; // numOfSequenceParameterSetExt
	}
	return out;
};

/** Parses an avcC record. Throws a corrupt_input TapedeckError naming the field that runs short. */
export const parseAvcC = (config: Uint8Array): AvcConfig => {
	if (config.length < 7 || config[0] !== 1) {
		throw new TapedeckError(
			'corrupt_input',
			`avcC must start with configurationVersion 1 and be ≥ 7 bytes, got ${config.length} bytes`,
		);
	}
	const view = new DataView(config.buffer, config.byteOffset, config.byteLength);
	let at = 5;
	const readUnits = (count: number, what: string): Uint8Array[] => {
		const units: Uint8Array[] = [];
		for (let i = 0; i < count; i++) {
			if (at + 2 > config.length) throw short(what);
			const length = view.getUint16(at);
			if (at + 2 + length > config.length) throw short(what);
			units.push(config.subarray(at + 2, at + 2 + length));
			at += 2 + length;
		}
		return units;
	};
	const sps = readUnits(config[at++]! & 0x1f, 'sequenceParameterSet');
	if (at >= config.length) throw short('numOfPictureParameterSets');
	const pps = readUnits(config[at++]!, 'pictureParameterSet');
	return {
		profileIdc: config[1]!,
		profileCompatibility: config[2]!,
		levelIdc: config[3]!,
		lengthSize: (config[4]! & 3) + 1,
		sps,
		pps,
	};
};

const short = (field: string): TapedeckError =>
	new TapedeckError('corrupt_input', `avcC ends inside ${field}: the record is truncated`);
