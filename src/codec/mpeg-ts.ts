/**
 * MPEG-TS facts shared by the TS demuxer (ingest), the TS muxer and its crash repair (mux), which do
 * not import each other: packet geometry (ISO/IEC 13818-1 §2.4.3.2) and the stream_type values
 * (Table 2-34; 0x81 from ATSC A/52 Annex A, 0x86 from ANSI/SCTE 35 §8.1).
 */

/** Bytes in one transport packet. */
export const TS_PACKET_SIZE = 188;
/** The sync_byte every transport packet starts with. */
export const TS_SYNC_BYTE = 0x47;
/** Transport packets carried inside 192-byte M2TS/BDAV units (4-byte timestamp prefix). */
export const M2TS_PACKET_SIZE = 192;
/** Transport packets followed by 16 bytes of Reed-Solomon parity (DVB-ASI, ISO/IEC 13818-1 Annex). */
export const TS_RS_PACKET_SIZE = 204;

export const TsStreamType = {
	Mpeg1Video: 0x01,
	Mpeg2Video: 0x02,
	Mpeg1Audio: 0x03,
	Mpeg2Audio: 0x04,
	/** PES packets with private data: Opus and DVB AC-3, told apart by their descriptors. */
	PrivatePes: 0x06,
	AacAdts: 0x0f,
	/** AAC in LATM/LOAS (ISO/IEC 14496-3 §1.7). */
	AacLatm: 0x11,
	H264: 0x1b,
	H265: 0x24,
	Ac3: 0x81,
	Scte35: 0x86,
} as const;
