/**
 * MPEG-TS stream_type values (ISO/IEC 13818-1 Table 2-34; 0x81 from ATSC A/52 Annex A) for the
 * codecs tapedeck carries, shared by the TS demuxer and muxer (which do not import each other).
 */
export const TsStreamType = {
	Mpeg1Audio: 0x03,
	Mpeg2Audio: 0x04,
	/** PES packets with private data: Opus and DVB AC-3, told apart by their descriptors. */
	PrivatePes: 0x06,
	AacAdts: 0x0f,
	H264: 0x1b,
	H265: 0x24,
	Ac3: 0x81,
} as const;
