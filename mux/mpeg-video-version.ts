import { findStartCode } from '../src/codec/nal.ts';

/** extension_start_code (ISO/IEC 13818-2 §6.2.1): 00 00 01 B5. */
const EXTENSION_START_CODE = 0xb5;
/** extension_start_code_identifier of a sequence_extension (Table 6-2). */
const SEQUENCE_EXTENSION_ID = 1;

/**
 * Whether an 'mpeg2video' track config (a sequence_header, and for MPEG-2 its sequence_extension)
 * describes MPEG-1 video (ISO/IEC 11172-2): MPEG-2 always follows the sequence header with a
 * sequence_extension (ISO/IEC 13818-2 §6.2.2), MPEG-1 never has one. Containers label the two
 * apart: MPEG-TS stream_type 0x01 or 0x02, MP4 objectTypeIndication 0x6A or 0x61.
 */
export const isMpeg1Video = (config: Uint8Array): boolean => {
	for (let at = findStartCode(config, 0); at >= 0 && at + 4 < config.length; at = findStartCode(config, at + 3)) {
		if (config[at + 3] === EXTENSION_START_CODE && config[at + 4]! >> 4 === SEQUENCE_EXTENSION_ID) return false;
	}
	return true;
};
