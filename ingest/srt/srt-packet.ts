/**
 * SRT packet header codec (draft-sharabayko-srt §3; libsrt `packet.h`). Every datagram starts with
 * four big-endian 32-bit words. Data (F = 0): seq, PP|O|KK|R|msgno, timestamp, destination socket id.
 * Control (F = 1): type|subtype, type-specific info, timestamp, destination socket id, then the CIF.
 * Hot-path readers are plain functions over the datagram; nothing is allocated to read a header.
 */

export const HEADER_SIZE = 16;

/** Control packet types (draft §3.2). */
export const ControlType = {
	handshake: 0x0000,
	keepalive: 0x0001,
	ack: 0x0002,
	nak: 0x0003,
	congestion: 0x0004,
	shutdown: 0x0005,
	ackack: 0x0006,
	dropreq: 0x0007,
	peerError: 0x0008,
	extension: 0x7fff,
} as const;

/** Subtypes of the user-defined control type 0x7FFF used by HSv5: key-material refresh. */
export const ExtensionSubtype = { kmreq: 3, kmrsp: 4 } as const;

/** Encryption key flags of a data packet (w1 bits 3–4). */
export const KeyFlag = { none: 0, even: 1, odd: 2 } as const;

export const isControl = (datagram: Uint8Array): boolean => ((datagram[0] ?? 0) & 0x80) !== 0;

const word = (datagram: Uint8Array, offset: number): number =>
	(((datagram[offset] ?? 0) << 24) |
		((datagram[offset + 1] ?? 0) << 16) |
		((datagram[offset + 2] ?? 0) << 8) |
		(datagram[offset + 3] ?? 0)) >>>
	0;

export const readWord = word;

export const writeWord = (buf: Uint8Array, offset: number, value: number): void => {
	buf[offset] = value >>> 24;
	buf[offset + 1] = (value >>> 16) & 0xff;
	buf[offset + 2] = (value >>> 8) & 0xff;
	buf[offset + 3] = value & 0xff;
};

// Data packet fields (§3.1).
export const dataSeq = (d: Uint8Array): number => word(d, 0) & 0x7fffffff;
export const dataKeyFlag = (d: Uint8Array): number => ((d[4] ?? 0) >>> 3) & 3;
export const dataRetransmitted = (d: Uint8Array): boolean => ((d[4] ?? 0) & 0x04) !== 0;
export const dataMsgNo = (d: Uint8Array): number => word(d, 4) & 0x03ffffff;
export const packetTimestamp = (d: Uint8Array): number => word(d, 8);
export const packetDestination = (d: Uint8Array): number => word(d, 12);

// Control packet fields (§3.2).
export const controlType = (d: Uint8Array): number => (word(d, 0) >>> 16) & 0x7fff;
export const controlSubtype = (d: Uint8Array): number => word(d, 0) & 0xffff;
export const controlInfo = (d: Uint8Array): number => word(d, 4);

export type DataHeader = {
	seq: number;
	msgNo: number;
	keyFlag: number;
	retransmitted: boolean;
	timestamp: number;
	destination: number;
};

/** Writes a data packet header (PP = 11 "single message", O = 0) in front of an already-placed payload. */
export const writeDataHeader = (buf: Uint8Array, h: DataHeader): void => {
	writeWord(buf, 0, h.seq & 0x7fffffff);
	writeWord(buf, 4, (0xc0000000 | (h.keyFlag << 27) | (h.retransmitted ? 0x04000000 : 0) | h.msgNo) >>> 0);
	writeWord(buf, 8, h.timestamp >>> 0);
	writeWord(buf, 12, h.destination >>> 0);
};

/** A header timestamp: µs since the sending socket started, wrapping at 32 bits (draft-sharabayko-srt §3). */
export const packetClock = (now: number, startedAt: number): number => Math.floor(now - startedAt) % 0x100000000;

/** A control packet: header + CIF (whose length must be a multiple of 4). */
export const encodeControl = (
	type: number,
	subtype: number,
	info: number,
	timestamp: number,
	destination: number,
	cif: Uint8Array = ZERO_CIF,
): Buffer => {
	const out = Buffer.allocUnsafe(HEADER_SIZE + cif.length);
	writeWord(out, 0, (0x80000000 | (type << 16) | subtype) >>> 0);
	writeWord(out, 4, info >>> 0);
	writeWord(out, 8, timestamp >>> 0);
	writeWord(out, 12, destination >>> 0);
	out.set(cif, HEADER_SIZE);
	return out;
};

/** KEEPALIVE, SHUTDOWN and ACKACK carry a 4-byte zero CIF in libsrt: we send the same. */
export const ZERO_CIF = new Uint8Array(4);
