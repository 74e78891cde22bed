/**
 * One frame of digital silence in a track's own codec: what the AVI muxer writes over a gap in an
 * audio stream, because AVI audio has no timestamps (its clock is the count of chunks) and a frame
 * lost upstream would otherwise pull every later frame early.
 *
 * - AAC (ISO/IEC 14496-3 §4.4.2.1 raw_data_block, §4.4.2.7 individual_channel_stream): one
 *   element per channel of the channelConfiguration (Table 1.19), each an ICS with max_sfb = 0:
 *   no scale factor band carries a coefficient, so the whole spectrum is zero; then ID_END.
 * - MPEG-1/2 Layer II and III (ISO/IEC 11172-3 §2.4.1.2, ISO/IEC 13818-3): the next frame's
 *   header without CRC and padding, then zeros. Layer II: every allocation is 0, no sample is
 *   coded. Layer III: part2_3_length and big_values are 0 in every granule, no coefficient is coded.
 */
import { BitWriter } from '../../src/bytes/bit-writer.ts';
import { parseAudioSpecificConfig } from '../../src/codec/aac.ts';
import { parseMp3Header } from '../../src/codec/mp3.ts';
import type { Track } from '../../src/core/track.ts';

/** Syntactic elements (ISO/IEC 14496-3 Table 4.85 id_syn_ele). */
const ID_SCE = 0;
const ID_CPE = 1;
const ID_LFE = 3;
const ID_END = 7;
/** The elements of channelConfiguration 1–7 (ISO/IEC 14496-3 Table 1.19), in bitstream order. */
const AAC_ELEMENTS: readonly (readonly number[])[] = [
	[],
	[ID_SCE],
	[ID_CPE],
	[ID_SCE, ID_CPE],
	[ID_SCE, ID_CPE, ID_SCE],
	[ID_SCE, ID_CPE, ID_CPE],
	[ID_SCE, ID_CPE, ID_CPE, ID_LFE],
	[ID_SCE, ID_CPE, ID_CPE, ID_CPE, ID_LFE],
];
/** Object types whose ICS syntax is the one written here: Main, LC, SSR, LTP. */
const PLAIN_ICS_OBJECT_TYPES = new Set([1, 2, 3, 4]);

/**
 * A silent frame for `track`, shaped like `next` (the frame after the gap, for MPEG audio's
 * header); undefined for a codec or configuration it cannot be built for (the caller says so).
 */
export const silentAudioFrame = (track: Track, next: Uint8Array): Uint8Array | undefined => {
	switch (track.codec) {
		case 'aac':
			return silentAac(track.config);
		case 'mp2':
		case 'mp3':
			return silentMpegAudio(next);
		default:
			return undefined;
	}
};

const silentAac = (config: Uint8Array): Uint8Array | undefined => {
	let parsed: ReturnType<typeof parseAudioSpecificConfig>;
	try {
		parsed = parseAudioSpecificConfig(config);
	} catch {
		return undefined;
	}
	const elements = AAC_ELEMENTS[parsed.channelConfig];
	if (!elements || elements.length === 0 || !PLAIN_ICS_OBJECT_TYPES.has(parsed.objectType)) return undefined;
	const w = new BitWriter(16);
	const instances = [0, 0, 0, 0];
	for (const element of elements) {
		w.writeBits(element, 3); // id_syn_ele
		w.writeBits(instances[element]!++, 4); // element_instance_tag: numbered per element type
		if (element === ID_CPE) {
			w.writeBit(0); // common_window: each channel has its own ics_info
			writeSilentIcs(w);
		}
		writeSilentIcs(w);
	}
	w.writeBits(ID_END, 3);
	return w.toBytes(); // byte_alignment(): the last byte is zero-padded
};

/** individual_channel_stream(common_window = 0) with no band coded (§4.4.2.7, §4.4.2.1 ics_info). */
const writeSilentIcs = (w: BitWriter): void => {
	w.writeBits(0, 8); // global_gain: scales nothing when no band is coded
	w.writeBit(0); // ics_reserved_bit
	w.writeBits(0, 2); // window_sequence: ONLY_LONG_SEQUENCE
	w.writeBit(0); // window_shape: sine
	w.writeBits(0, 6); // max_sfb: no band, so no section_data or scale_factor_data follow
	w.writeBit(0); // predictor_data_present
	w.writeBit(0); // pulse_data_present
	w.writeBit(0); // tns_data_present
	w.writeBit(0); // gain_control_data_present
};

const silentMpegAudio = (next: Uint8Array): Uint8Array | undefined => {
	if (next.length < 4) return undefined;
	const header = next.subarray(0, 4);
	const b1 = header[1]! | 0x01; // protection_bit 1: no CRC follows
	const b2 = header[2]! & ~0x02; // padding_bit 0
	const frame = new Uint8Array(4);
	frame.set([header[0]!, b1, b2, header[3]!]);
	const parsed = parseMp3Header(frame);
	// Free format (no length in the header) and Layer I are left to the caller's warning.
	if (!parsed || parsed.frameLength < 4 || parsed.layer === 1) return undefined;
	const silent = new Uint8Array(parsed.frameLength);
	silent.set(frame);
	return silent;
};
