import { crc32Mpeg } from '../../src/bytes/crc32-mpeg.ts';

/**
 * The PAT and PMT a TS muxer writes (ISO/IEC 13818-1 §2.4.4.3, §2.4.4.8), one program, built
 * as whole sections with their CRC_32: once per file, and the PMT again with the next
 * version_number when a track changes or joins.
 */

/** One elementary stream line of the PMT. */
export type PmtEntry = { readonly streamType: number; readonly pid: number; readonly descriptors: Uint8Array };

/** Program Association Table: program `programNumber` has its PMT on `pmtPid`. */
export const buildPatSection = (programNumber: number, pmtPid: number): Uint8Array => {
	const body = new Uint8Array(4);
	body[0] = programNumber >> 8; // program_number
	body[1] = programNumber & 0xff;
	body[2] = 0xe0 | (pmtPid >> 8); // reserved '111', program_map_PID
	body[3] = pmtPid & 0xff;
	return buildSection(0x00, 1, body); // table_id 0, transport_stream_id 1
};

/** Program Map Table of one program (`version` 0–31): PCR PID, program descriptors, one line per stream. */
export const buildPmtSection = (
	programNumber: number,
	version: number,
	pcrPid: number,
	programDescriptors: Uint8Array,
	entries: readonly PmtEntry[],
): Uint8Array => {
	let size = 4 + programDescriptors.length;
	for (const entry of entries) size += 5 + entry.descriptors.length;
	const body = new Uint8Array(size);
	body[0] = 0xe0 | (pcrPid >> 8); // reserved '111', PCR_PID
	body[1] = pcrPid & 0xff;
	body[2] = 0xf0 | (programDescriptors.length >> 8); // reserved '1111', program_info_length
	body[3] = programDescriptors.length & 0xff;
	body.set(programDescriptors, 4);
	let at = 4 + programDescriptors.length;
	for (const { streamType, pid, descriptors } of entries) {
		body[at] = streamType; // stream_type
		body[at + 1] = 0xe0 | (pid >> 8); // reserved '111', elementary_PID
		body[at + 2] = pid & 0xff;
		body[at + 3] = 0xf0 | (descriptors.length >> 8); // reserved '1111', ES_info_length
		body[at + 4] = descriptors.length & 0xff;
		body.set(descriptors, at + 5);
		at += 5 + descriptors.length;
	}
	return buildSection(0x02, programNumber, body, version); // table_id 2, program_number
};

/** A long-form section: 8-byte header, current, a single section, then CRC_32. */
const buildSection = (tableId: number, tableIdExtension: number, body: Uint8Array, version = 0): Uint8Array => {
	const length = 8 + body.length + 4;
	const sectionLength = length - 3;
	const out = new Uint8Array(length);
	out[0] = tableId; // table_id
	out[1] = 0xb0 | (sectionLength >> 8); // section_syntax_indicator 1, '0', reserved '11', section_length
	out[2] = sectionLength & 0xff;
	out[3] = tableIdExtension >> 8; // transport_stream_id / program_number
	out[4] = tableIdExtension & 0xff;
	out[5] = 0xc1 | ((version & 0x1f) << 1); // reserved '11', version_number, current_next_indicator 1
	out[6] = 0; // section_number
	out[7] = 0; // last_section_number
	out.set(body, 8);
	new DataView(out.buffer).setUint32(length - 4, crc32Mpeg(out, 0, length - 4)); // CRC_32
	return out;
};
