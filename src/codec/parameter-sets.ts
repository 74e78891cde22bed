import { parseAvcC } from './h264.ts';
import { H265NalType, parseHvcC } from './h265.ts';
import { unitsToAnnexB } from './nal.ts';

/**
 * The parameter sets of an H.264 avcC (SPS, PPS; ISO/IEC 14496-15 §5.3.3) or an H.265 hvcC (VPS,
 * SPS, PPS; §8.3.3) as Annex B with 4-byte start codes: what a byte-stream container (MPEG-TS,
 * AVI) repeats in front of keyframes so a reader can start decoding there. SEI arrays an hvcC may
 * carry are left out: they are not needed to decode and would repeat stale messages.
 */
export const parameterSetsAnnexB = (codec: 'h264' | 'h265', config: Uint8Array): Uint8Array => {
	if (codec === 'h264') {
		const { sps, pps } = parseAvcC(config);
		return unitsToAnnexB([...sps, ...pps]);
	}
	const sets = parseHvcC(config).arrays.filter((a) => a.nalType >= H265NalType.Vps && a.nalType <= H265NalType.Pps);
	return unitsToAnnexB(sets.flatMap((a) => a.units));
};
