/**
 * The two PSI tables a demuxer needs: the Program Association Table and the Program Map Table
 * (ISO/IEC 13818-1 §2.4.4.3 and §2.4.4.8). Both arrive rarely, so parsing may allocate.
 */

/** One descriptor (§2.4.4.10 / 2.6): tag and body bytes (a copy). */
export type Descriptor = { readonly tag: number; readonly data: Uint8Array };

export type ElementaryStreamInfo = {
	readonly streamType: number;
	readonly pid: number;
	readonly descriptors: readonly Descriptor[];
	/** The program's descriptors (program_info): a registration there (e.g. 'HDMV') gives stream_type its meaning. */
	readonly programDescriptors: readonly Descriptor[];
};

export type ProgramMap = {
	readonly programNumber: number;
	readonly version: number;
	readonly pcrPid: number;
	readonly streams: readonly ElementaryStreamInfo[];
};

export const PAT_PID = 0;
const TABLE_PAT = 0x00;
const TABLE_PMT = 0x02;

/** One program of the PAT: its program_number and the PID of its PMT. */
export type PatEntry = { readonly programNumber: number; readonly pmtPid: number };

/**
 * The programs of a PAT section in their order (program_number 0 is the network PID and is
 * skipped), or undefined when the section is not a current PAT.
 */
export const parsePat = (section: Uint8Array, length: number): PatEntry[] | undefined => {
	if (section[0] !== TABLE_PAT || !(section[5]! & 1)) return undefined; // table_id, current_next_indicator
	const entries: PatEntry[] = [];
	for (let at = 8; at + 4 <= length - 4; at += 4) {
		const programNumber = (section[at]! << 8) | section[at + 1]!;
		const pmtPid = ((section[at + 2]! & 0x1f) << 8) | section[at + 3]!; // program_map_PID
		if (programNumber !== 0) entries.push({ programNumber, pmtPid });
	}
	return entries;
};

/** Parses a PMT section, or returns undefined when it is not a current PMT or its loops overrun. */
export const parsePmt = (section: Uint8Array, length: number): ProgramMap | undefined => {
	if (section[0] !== TABLE_PMT || !(section[5]! & 1)) return undefined; // table_id, current_next_indicator
	const end = length - 4; // CRC_32
	const programNumber = (section[3]! << 8) | section[4]!;
	const version = (section[5]! >> 1) & 0x1f;
	const pcrPid = ((section[8]! & 0x1f) << 8) | section[9]!;
	const programInfoLength = ((section[10]! & 0x0f) << 8) | section[11]!;
	let at = 12 + programInfoLength;
	if (at > end) return undefined;
	const programDescriptors = parseDescriptors(section, 12, at);
	const streams: ElementaryStreamInfo[] = [];
	while (at + 5 <= end) {
		const streamType = section[at]!;
		const pid = ((section[at + 1]! & 0x1f) << 8) | section[at + 2]!; // elementary_PID
		const infoLength = ((section[at + 3]! & 0x0f) << 8) | section[at + 4]!; // ES_info_length
		const infoEnd = at + 5 + infoLength;
		if (infoEnd > end) return undefined;
		streams.push({ streamType, pid, descriptors: parseDescriptors(section, at + 5, infoEnd), programDescriptors });
		at = infoEnd;
	}
	return { programNumber, version, pcrPid, streams };
};

const parseDescriptors = (data: Uint8Array, start: number, end: number): Descriptor[] => {
	const descriptors: Descriptor[] = [];
	for (let at = start; at + 2 <= end; ) {
		const bodyEnd = at + 2 + data[at + 1]!;
		if (bodyEnd > end) break;
		descriptors.push({ tag: data[at]!, data: data.slice(at + 2, bodyEnd) });
		at = bodyEnd;
	}
	return descriptors;
};
