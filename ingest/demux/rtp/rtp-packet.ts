/**
 * RTP fixed header (RFC 3550 §5.1):
 *
 *   0                   1                   2                   3
 *   V=2 |P|X|  CC   |M|     PT      |       sequence number
 *                           timestamp
 *            synchronization source (SSRC) identifier
 *            contributing source (CSRC) identifiers (CC × 32 bits)
 *   [extension: profile-defined 16 bits, length in 32-bit words, data]   (§5.3.1)
 *   payload … [padding, last byte = padding count]
 */
export type RtpPacket = {
	readonly marker: boolean;
	readonly payloadType: number;
	/** 16-bit sequence number. */
	readonly sequence: number;
	/** 32-bit media clock, as sent (wraps). */
	readonly timestamp: number;
	readonly ssrc: number;
	/** View on the payload, padding and extension removed. */
	readonly payload: Uint8Array;
};

const FIXED_HEADER = 12;

/** Parses one RTP packet; undefined when the bytes break the header rules (the caller counts it). */
export const parseRtpPacket = (bytes: Uint8Array): RtpPacket | undefined => {
	if (bytes.length < FIXED_HEADER) return undefined;
	const b0 = bytes[0]!;
	const b1 = bytes[1]!;
	if (b0 >> 6 !== 2) return undefined;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const csrcCount = b0 & 0x0f;
	let start = FIXED_HEADER + csrcCount * 4;
	if (b0 & 0x10) {
		// Header extension: 16-bit profile id, 16-bit length in 32-bit words (§5.3.1).
		if (start + 4 > bytes.length) return undefined;
		start += 4 + view.getUint16(start + 2) * 4;
	}
	let end = bytes.length;
	if (b0 & 0x20) end -= bytes[bytes.length - 1]!;
	if (start > end) return undefined;
	return {
		marker: (b1 & 0x80) !== 0,
		payloadType: b1 & 0x7f,
		sequence: view.getUint16(2),
		timestamp: view.getUint32(4),
		ssrc: view.getUint32(8),
		payload: bytes.subarray(start, end),
	};
};

/** True when the second byte is an RTCP packet type (200–204): RTP and RTCP share a port under RFC 5761 muxing. */
export const isRtcpPacket = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[1]! >= 200 && bytes[1]! <= 204;
