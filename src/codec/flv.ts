/**
 * FLV facts shared by the FLV demuxer and RTMP ingest (which read tags) and the FLV muxer and its
 * crash repair (which write them), which do not import each other. Adobe "Video File Format
 * Specification" v10.1 §E.2–§E.4; veovera "Enhanced RTMP" v1/v2 (ExVideoTagHeader, ExAudioTagHeader).
 */

/** §E.2: "FLV", version, TypeFlags, DataOffset. */
export const FLV_FILE_HEADER_BYTES = 9;
/** §E.4.1 FLVTAG header: TagType, DataSize, Timestamp, TimestampExtended, StreamID. */
export const FLV_TAG_HEADER_BYTES = 11;

/** §E.2 TypeFlags of the file header. */
export const FlvHeaderFlag = { Audio: 0x04, Video: 0x01 } as const;

/** §E.4.1 TagType. */
export const FlvTagType = { Audio: 8, Video: 9, Script: 18 } as const;

/** §E.4.3.1 FrameType. */
export const FlvFrameType = { Key: 1, Inter: 2, GeneratedKey: 4, Command: 5 } as const;

/** §E.4.3.1 CodecID; 12 is the legacy HEVC id Chinese CDNs and OBS forks use with the AVC packet layout. */
export const FlvCodecId = { Avc: 7, HevcLegacy: 12 } as const;

/** Enhanced RTMP: the first video byte's IsExHeader bit. */
export const FLV_EX_HEADER = 0x80;

/** AVCPacketType / AACPacketType (legacy) and Enhanced RTMP VideoPacketType / AudioPacketType share 0–2. */
export const FlvPacketType = {
	SequenceStart: 0,
	CodedFrames: 1,
	SequenceEnd: 2,
	/** Enhanced RTMP: coded frames with no composition time (it is 0). */
	CodedFramesX: 3,
	Metadata: 4,
} as const;

/** Enhanced RTMP FourCCs, as big-endian u32 (onMetaData's videocodecid holds this number too). */
export const FlvFourCc = {
	Avc1: 0x61766331,
	Hvc1: 0x68766331,
	Av01: 0x61763031,
	Mp4a: 0x6d703461,
	Mp3: 0x2e6d7033,
} as const;

/** §E.4.2.1 SoundFormat. 2 is MPEG audio Layer III only: FLV has no id for Layer II. */
export const FlvSoundFormat = { Mp3: 2, ExHeader: 9, Aac: 10, Mp3At8kHz: 14 } as const;
