import { BitReader } from '../bytes/bit-reader.ts';
import { TapedeckError } from '../core/errors.ts';
import { UnitRole, unescapeRbsp } from './nal.ts';

/**
 * H.265 / HEVC: NAL unit types, the sequence parameter set fields a container needs, and the
 * HEVCDecoderConfigurationRecord (hvcC). References: ITU-T H.265 §7.3.1.2 (NAL header),
 * §7.3.2.2 (SPS), §7.3.3 (profile_tier_level), ISO/IEC 14496-15 §8.3.3.1 (hvcC).
 */

/** nal_unit_type values (ITU-T H.265 Table 7-1) that containers treat specially. */
export const H265NalType = {
	/** IRAP pictures are types 16..23: BLA, IDR, CRA and reserved IRAP types. */
	BlaWLp: 16,
	IdrWRadl: 19,
	IdrNLp: 20,
	Cra: 21,
	ReservedIrap23: 23,
	Vps: 32,
	Sps: 33,
	Pps: 34,
	AccessUnitDelimiter: 35,
} as const;

/** nal_unit_type: bits 1..6 of the first of the two header bytes. */
export const h265NalType = (firstByte: number): number => (firstByte >> 1) & 0x3f;

/**
 * The `UnitRole` of the NAL unit whose 2-byte header starts at `data[at]` (§7.4.2.4.4): VPS, SPS,
 * PPS, AUD, prefix SEI and types 41–44, 48–55 open an access unit; a VCL unit (types 0–31) whose
 * first_slice_segment_in_pic_flag (the first bit after the header) is set starts a picture.
 */
export const h265UnitRole = (data: Uint8Array, at: number): number => {
	const type = (data[at]! >> 1) & 0x3f;
	if (type < 32) return data[at + 2]! & 0x80 ? UnitRole.PictureStart : UnitRole.Picture;
	if ((type >= 32 && type <= 35) || type === 39 || (type >= 41 && type <= 44) || (type >= 48 && type <= 55)) {
		return UnitRole.Opens;
	}
	return UnitRole.Inside;
};

/** An intra random access point (BLA, IDR, CRA): where decoding can start. */
export const isH265Irap = (type: number): boolean => type >= H265NalType.BlaWLp && type <= H265NalType.ReservedIrap23;

/** What the SPS says about the picture, profile, tier and level. */
export type H265Sps = {
	/**
	 * The 12 bytes of general profile_tier_level, as written in both the SPS and hvcC:
	 * profile_space/tier/profile_idc, 32 compatibility flags, 48 constraint flags, level_idc.
	 */
	readonly generalProfileTierLevel: Uint8Array;
	readonly generalProfileIdc: number;
	readonly generalTierFlag: number;
	readonly generalLevelIdc: number;
	readonly maxSubLayers: number;
	readonly temporalIdNesting: boolean;
	readonly chromaFormatIdc: number;
	readonly bitDepthLuma: number;
	readonly bitDepthChroma: number;
	/** Displayed size: coded luma samples minus the conformance window. */
	readonly width: number;
	readonly height: number;
	/**
	 * sps_max_num_reorder_pics of the highest sub-layer (§7.4.3.2.1): pictures that may precede one
	 * in decode order and follow it in output order; undefined when truncated. Added by the RTSP helper.
	 */
	readonly maxNumReorderPics?: number;
};

/** Parses an SPS NAL unit (2-byte header included). Throws a corrupt_input TapedeckError when truncated. */
export const parseH265Sps = (nal: Uint8Array): H265Sps => {
	const rbsp = unescapeRbsp(nal);
	const r = new BitReader(rbsp, 2);
	r.skipBits(4); // sps_video_parameter_set_id
	const maxSubLayersMinus1 = r.readBits(3);
	const temporalIdNesting = r.readFlag();
	// general profile_tier_level is byte aligned here (bytes 3..14 of the unit)
	const ptlStart = r.bitPosition / 8;
	if (rbsp.length < ptlStart + 12) {
		throw new TapedeckError('corrupt_input', `H.265 SPS of ${nal.length} bytes ends inside profile_tier_level`);
	}
	const generalProfileTierLevel = rbsp.slice(ptlStart, ptlStart + 12);
	r.skipBits(96);
	skipSubLayerProfileTierLevels(r, maxSubLayersMinus1);
	r.readUe(); // sps_seq_parameter_set_id
	const chromaFormatIdc = r.readUe();
	const separateColourPlane = chromaFormatIdc === 3 && r.readFlag();
	let width = r.readUe(); // pic_width_in_luma_samples
	let height = r.readUe(); // pic_height_in_luma_samples
	if (r.readFlag()) {
		// conformance_window_flag: offsets in chroma sample units (Table 6-1)
		const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
		const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
		const subHeightC = chromaArrayType === 1 ? 2 : 1;
		const left = r.readUe();
		const right = r.readUe();
		const top = r.readUe();
		const bottom = r.readUe();
		width -= subWidthC * (left + right);
		height -= subHeightC * (top + bottom);
	}
	const bitDepthLuma = r.readUe() + 8;
	const bitDepthChroma = r.readUe() + 8;
	const maxNumReorderPics = readMaxNumReorderPics(r, maxSubLayersMinus1);
	const first = generalProfileTierLevel[0]!;
	return {
		generalProfileTierLevel,
		generalProfileIdc: first & 0x1f,
		generalTierFlag: (first >> 5) & 1,
		generalLevelIdc: generalProfileTierLevel[11]!,
		maxSubLayers: maxSubLayersMinus1 + 1,
		temporalIdNesting,
		chromaFormatIdc,
		bitDepthLuma,
		bitDepthChroma,
		width,
		height,
		...(maxNumReorderPics === undefined ? {} : { maxNumReorderPics }),
	};
};

/** From log2_max_pic_order_cnt_lsb_minus4 through the sub-layer ordering info (§7.3.2.2.1): the last reorder count. */
const readMaxNumReorderPics = (r: BitReader, maxSubLayersMinus1: number): number | undefined => {
	try {
		r.readUe(); // log2_max_pic_order_cnt_lsb_minus4
		const allSubLayers = r.readFlag(); // sps_sub_layer_ordering_info_present_flag
		let reorder = 0;
		for (let i = allSubLayers ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
			r.readUe(); // sps_max_dec_pic_buffering_minus1
			reorder = r.readUe(); // sps_max_num_reorder_pics
			r.readUe(); // sps_max_latency_increase_plus1
		}
		return reorder;
	} catch {
		return undefined;
	}
};

/** The sub-layer part of profile_tier_level (§7.3.3), after the 96 general bits. */
const skipSubLayerProfileTierLevels = (r: BitReader, maxSubLayersMinus1: number): void => {
	const profilePresent: boolean[] = [];
	const levelPresent: boolean[] = [];
	for (let i = 0; i < maxSubLayersMinus1; i++) {
		profilePresent.push(r.readFlag());
		levelPresent.push(r.readFlag());
	}
	if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
	for (let i = 0; i < maxSubLayersMinus1; i++) {
		if (profilePresent[i]) r.skipBits(88);
		if (levelPresent[i]) r.skipBits(8);
	}
};

/** One array of an hvcC record: the parameter sets of one NAL unit type. */
export type HvccArray = { readonly nalType: number; readonly units: readonly Uint8Array[] };

/** The fields of an hvcC record tapedeck uses. */
export type HevcConfig = {
	readonly generalProfileIdc: number;
	readonly generalTierFlag: number;
	readonly generalLevelIdc: number;
	/** Bytes of each NAL length field in samples (1, 2 or 4). */
	readonly lengthSize: number;
	readonly arrays: readonly HvccArray[];
};

/** Builds an hvcC record (4-byte NAL lengths) from VPS, SPS and PPS units; the first SPS gives profile and format. */
export const buildHvcC = (
	vps: readonly Uint8Array[],
	sps: readonly Uint8Array[],
	pps: readonly Uint8Array[],
): Uint8Array => {
	const first = sps[0];
	if (!first) throw new TapedeckError('invalid_argument', 'hvcC needs at least one SPS, got none');
	const info = parseH265Sps(first);
	const arrays: HvccArray[] = [
		{ nalType: H265NalType.Vps, units: vps },
		{ nalType: H265NalType.Sps, units: sps },
		{ nalType: H265NalType.Pps, units: pps },
	].filter((a) => a.units.length > 0);
	let size = 23;
	for (const array of arrays) for (const unit of array.units) size += 2 + unit.length;
	size += arrays.length * 3;
	const out = new Uint8Array(size);
	const view = new DataView(out.buffer);
	out[0] = 1; // configurationVersion
	out.set(info.generalProfileTierLevel, 1); // profile_space..general_level_idc (bytes 1..12)
	view.setUint16(13, 0xf000); // reserved '1111', min_spatial_segmentation_idc = 0 (unknown)
	out[15] = 0xfc; // reserved '111111', parallelismType = 0 (unknown)
	out[16] = 0xfc | info.chromaFormatIdc; // reserved '111111', chromaFormat
	out[17] = 0xf8 | (info.bitDepthLuma - 8); // reserved '11111', bitDepthLumaMinus8
	out[18] = 0xf8 | (info.bitDepthChroma - 8); // reserved '11111', bitDepthChromaMinus8
	view.setUint16(19, 0); // avgFrameRate = 0 (unspecified)
	// constantFrameRate = 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne = 3
	out[21] = (info.maxSubLayers << 3) | (info.temporalIdNesting ? 4 : 0) | 3;
	out[22] = arrays.length; // numOfArrays
	let at = 23;
	for (const array of arrays) {
		out[at] = 0x80 | array.nalType; // array_completeness = 1, reserved 0, NAL_unit_type
		view.setUint16(at + 1, array.units.length); // numNalus
		at += 3;
		for (const unit of array.units) {
			view.setUint16(at, unit.length); // nalUnitLength
			out.set(unit, at + 2);
			at += 2 + unit.length;
		}
	}
	return out;
};

/** Parses an hvcC record. Throws a corrupt_input TapedeckError naming the field that runs short. */
export const parseHvcC = (config: Uint8Array): HevcConfig => {
	if (config.length < 23 || config[0] !== 1) {
		throw new TapedeckError(
			'corrupt_input',
			`hvcC must start with configurationVersion 1 and be ≥ 23 bytes, got ${config.length} bytes`,
		);
	}
	const view = new DataView(config.buffer, config.byteOffset, config.byteLength);
	const arrays: HvccArray[] = [];
	let at = 23;
	for (let a = 0; a < config[22]!; a++) {
		if (at + 3 > config.length) throw short('an array header');
		const nalType = config[at]! & 0x3f;
		const count = view.getUint16(at + 1);
		at += 3;
		const units: Uint8Array[] = [];
		for (let i = 0; i < count; i++) {
			if (at + 2 > config.length) throw short('nalUnitLength');
			const length = view.getUint16(at);
			if (at + 2 + length > config.length) throw short('a NAL unit');
			units.push(config.subarray(at + 2, at + 2 + length));
			at += 2 + length;
		}
		arrays.push({ nalType, units });
	}
	return {
		generalProfileIdc: config[1]! & 0x1f,
		generalTierFlag: (config[1]! >> 5) & 1,
		generalLevelIdc: config[12]!,
		lengthSize: (config[21]! & 3) + 1,
		arrays,
	};
};

const short = (field: string): TapedeckError =>
	new TapedeckError('corrupt_input', `hvcC ends inside ${field}: the record is truncated`);
