/**
 * The tags of an FLV file (Adobe FLV spec §E.4.1: a 9-byte header and PreviousTagSize0, then each tag's
 * 11-byte header, its body and a PreviousTagSize), for tests that damage one tag in place.
 */
export type FlvTag = {
	/** 8 audio, 9 video, 18 script data. */
	readonly type: number;
	/** Offset of the tag's body (the AUDIODATA/VIDEODATA) in the file. */
	readonly body: number;
	readonly size: number;
	/** Timestamp in milliseconds (with its extended upper byte). */
	readonly ms: number;
};

const HEADER = 9 + 4;
const TAG_HEADER = 11;

export const flvTags = (flv: Uint8Array): FlvTag[] => {
	const tags: FlvTag[] = [];
	for (let at = HEADER; at + TAG_HEADER <= flv.length; ) {
		const size = (flv[at + 1]! << 16) | (flv[at + 2]! << 8) | flv[at + 3]!;
		const ms = flv[at + 7]! * 2 ** 24 + ((flv[at + 4]! << 16) | (flv[at + 5]! << 8) | flv[at + 6]!);
		tags.push({ type: flv[at]! & 0x1f, body: at + TAG_HEADER, size, ms });
		at += TAG_HEADER + size + 4;
	}
	return tags;
};
