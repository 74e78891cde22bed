/**
 * RTMP message type ids and user control events (Adobe RTMP specification 1.0 §5.4, §6.2, §7.1).
 */

export const MessageType = {
	/** §5.4.1 protocol control: new maximum chunk size for the sender's chunks. */
	setChunkSize: 1,
	/** §5.4.2: discard the partly received message of a chunk stream. */
	abort: 2,
	/** §5.4.3: bytes received so far, sent each time a window's worth arrived. */
	acknowledgement: 3,
	/** §6.2 user control events (StreamBegin, ping, …). */
	userControl: 4,
	/** §5.4.4: the window after which the receiver must acknowledge. */
	windowAckSize: 5,
	/** §5.4.5: limits the peer's output bandwidth (and so its window). */
	setPeerBandwidth: 6,
	audio: 8,
	video: 9,
	/** §7.1.2 data message, AMF3 body. */
	dataAmf3: 15,
	sharedObjectAmf3: 16,
	/** §7.1.1 command message, AMF3 body. */
	commandAmf3: 17,
	dataAmf0: 18,
	sharedObjectAmf0: 19,
	commandAmf0: 20,
	/** §7.1.6: several FLV-style audio/video/data sub-messages in one. */
	aggregate: 22,
} as const;

export const UserControlEvent = {
	streamBegin: 0,
	streamEof: 1,
	streamDry: 2,
	setBufferLength: 3,
	streamIsRecorded: 4,
	pingRequest: 6,
	pingResponse: 7,
} as const;

/** Chunk stream ids we send on: 2 is reserved for protocol control (§5.4), 3 for commands by convention. */
export const ChunkStreamId = { control: 2, command: 3 } as const;
