/**
 * HSv5 handshake CIF and its extensions (draft-sharabayko-srt §3.2.1; libsrt `handshake.h`).
 * Layout after the 16-byte header: version, encryption (16) | extension field (16), initial sequence,
 * MTU, flow window, handshake type, sender's socket id, SYN cookie, peer IP (16 bytes), then
 * extension blocks: type (16) | length in words (16) | contents.
 */
import { ControlType, encodeControl, HEADER_SIZE, readWord, writeWord } from './srt-packet.ts';

export const HANDSHAKE_BODY_SIZE = 48;

export const HandshakeType = {
	waveahand: 0,
	induction: 1,
	conclusion: 0xffffffff,
	agreement: 0xfffffffe,
	done: 0xfffffffd,
} as const;

/** Extension field of an induction request (UDT socket type DGRAM) and of a v5 induction response. */
export const INDUCTION_REQUEST_EXT = 0x0002;
export const HSV5_MAGIC = 0x4a17;

/** Conclusion extension-field flags. */
export const HandshakeFlag = { hsreq: 0x1, kmreq: 0x2, config: 0x4 } as const;

/** Extension block types (SRT_CMD_*). */
export const ExtensionType = {
	hsreq: 1,
	hsrsp: 2,
	kmreq: 3,
	kmrsp: 4,
	sid: 5,
	congestion: 6,
	filter: 7,
	group: 8,
} as const;

/** HSREQ/HSRSP flags (SRT_OPT_*). */
export const SrtFlag = {
	tsbpdSend: 0x01,
	tsbpdRecv: 0x02,
	crypt: 0x04,
	tlPktDrop: 0x08,
	periodicNak: 0x10,
	rexmitFlag: 0x20,
	stream: 0x40,
	packetFilter: 0x80,
} as const;

/** What we advertise: everything a live receiver does except file/stream mode and packet filters (draft-sharabayko-srt §3.2.1.1, SRT Flags). */
const OUR_SRT_FLAGS = 0x3f;
/** The libsrt version we speak like (1.5.1): ≥ 1.3.0 is required for HSv5. */
const OUR_SRT_VERSION = 0x010501;

/** Handshake types ≥ 1000 are rejections: 1000 + SRT_REJ_* or 2000 + an application code (draft §3.2.1.2). */
export const RejectReason = {
	unknown: 1000,
	system: 1001,
	peer: 1002,
	resource: 1003,
	rogue: 1004,
	backlog: 1005,
	ipe: 1006,
	close: 1007,
	version: 1008,
	rdvCookie: 1009,
	badSecret: 1010,
	unsecure: 1011,
	messageApi: 1012,
	congestion: 1013,
	filter: 1014,
	group: 1015,
	timeout: 1016,
	badRequest: 2400,
	unauthorized: 2401,
	forbidden: 2403,
	notFound: 2404,
	badMode: 2405,
	conflict: 2409,
} as const;

/** Rejection codes by name for the log, the ones a publisher can fix spelt out. */
const REJECTION_NAMES = new Map<number, string>([
	...Object.entries(RejectReason).map(([name, code]): [number, string] => [code, name]),
	[RejectReason.badSecret, 'wrong passphrase'],
	[RejectReason.unsecure, 'passphrase set on one side only'],
	[RejectReason.unauthorized, 'not authorized (stream key, policy or webhook)'],
	[RejectReason.conflict, 'the stream already has a publisher'],
]);

/** A rejection code's name for a log line (`1010 wrong passphrase`). */
export const rejectionName = (code: number): string => REJECTION_NAMES.get(code) ?? 'refused';

export const isRejection = (type: number): boolean => type >= 1000 && type < 4000;

/** The MTU we offer (an Ethernet frame); a listener answers with the smaller of its caller's and this. */
export const OUR_MTU = 1500;
/** The flow window we announce, in packets: the size of our receive buffer (`SrtConnection`). */
export const OUR_FLOW_WINDOW = 8192;
/** Our receive latency unless configured, ms: srt-live-transmit's and ffmpeg's default too. */
export const DEFAULT_LATENCY_MS = 120;

export type HandshakeExtension = { type: number; data: Uint8Array };

export type Handshake = {
	version: number;
	encryption: number;
	extensionField: number;
	initialSeq: number;
	mtu: number;
	flowWindow: number;
	type: number;
	socketId: number;
	cookie: number;
	/** 16 bytes, byte-reversed per word on the wire (as libsrt writes it); informational only. */
	peerIp: Uint8Array;
	extensions: HandshakeExtension[];
};

/** Largest extension list we parse: a handshake never legitimately approaches a full MTU. */
const MAX_EXTENSIONS = 16;

/**
 * Decodes the handshake CIF of a control datagram. Returns undefined when the body is truncated or
 * an extension claims more words than the datagram holds (fuzzed or rogue input).
 */
export const decodeHandshake = (datagram: Uint8Array): Handshake | undefined => {
	const b = HEADER_SIZE;
	if (datagram.length < b + HANDSHAKE_BODY_SIZE) return undefined;
	const extensions: HandshakeExtension[] = [];
	let at = b + HANDSHAKE_BODY_SIZE;
	while (at + 4 <= datagram.length) {
		if (extensions.length === MAX_EXTENSIONS) return undefined;
		const head = readWord(datagram, at);
		const end = at + 4 + (head & 0xffff) * 4;
		if (end > datagram.length) return undefined;
		extensions.push({ type: head >>> 16, data: datagram.subarray(at + 4, end) });
		at = end;
	}
	const ef = readWord(datagram, b + 4);
	return {
		version: readWord(datagram, b),
		encryption: ef >>> 16,
		extensionField: ef & 0xffff,
		initialSeq: readWord(datagram, b + 8) & 0x7fffffff,
		mtu: readWord(datagram, b + 12),
		flowWindow: readWord(datagram, b + 16),
		type: readWord(datagram, b + 20),
		socketId: readWord(datagram, b + 24),
		cookie: readWord(datagram, b + 28),
		peerIp: datagram.subarray(b + 32, b + 48),
		extensions,
	};
};

/** The handshake CIF (body + extensions); put it behind a control header with `encodeControl`. */
export const encodeHandshake = (hs: Handshake): Uint8Array => {
	let size = HANDSHAKE_BODY_SIZE;
	for (const e of hs.extensions) size += 4 + e.data.length;
	const out = new Uint8Array(size);
	writeWord(out, 0, hs.version);
	writeWord(out, 4, ((hs.encryption << 16) | hs.extensionField) >>> 0);
	writeWord(out, 8, hs.initialSeq);
	writeWord(out, 12, hs.mtu);
	writeWord(out, 16, hs.flowWindow);
	writeWord(out, 20, hs.type >>> 0);
	writeWord(out, 24, hs.socketId);
	writeWord(out, 28, hs.cookie >>> 0);
	out.set(hs.peerIp.subarray(0, 16), 32);
	let at = HANDSHAKE_BODY_SIZE;
	for (const e of hs.extensions) {
		writeWord(out, at, ((e.type << 16) | (e.data.length / 4)) >>> 0);
		out.set(e.data, at + 4);
		at += 4 + e.data.length;
	}
	return out;
};

/** A whole handshake datagram: control header (type handshake) + CIF. */
export const encodeHandshakePacket = (hs: Handshake, timestamp: number, destination: number): Buffer =>
	encodeControl(ControlType.handshake, 0, 0, timestamp, destination, encodeHandshake(hs));

/** IPv4 peer address in the handshake's per-word reversed layout, as libsrt writes it. */
export const encodePeerIp = (address: string): Uint8Array => {
	const out = new Uint8Array(16);
	const parts = address.split('.').map(Number);
	if (parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p < 256)) {
		for (let i = 0; i < 4; i++) out[3 - i] = parts[i] ?? 0;
	}
	return out;
};

/** HSREQ / HSRSP contents (3 words): SRT version, flags, receiver delay (high 16) | sender delay (low 16), ms. */
export type SrtHandshakeInfo = { version: number; flags: number; recvLatencyMs: number; sendLatencyMs: number };

export const decodeSrtInfo = (data: Uint8Array): SrtHandshakeInfo | undefined => {
	if (data.length < 12) return undefined;
	const delays = readWord(data, 8);
	return {
		version: readWord(data, 0),
		flags: readWord(data, 4),
		recvLatencyMs: delays >>> 16,
		sendLatencyMs: delays & 0xffff,
	};
};

export const encodeSrtInfo = (info: SrtHandshakeInfo): Uint8Array => {
	const out = new Uint8Array(12);
	writeWord(out, 0, info.version);
	writeWord(out, 4, info.flags);
	writeWord(out, 8, (((info.recvLatencyMs & 0xffff) << 16) | (info.sendLatencyMs & 0xffff)) >>> 0);
	return out;
};

/** Our HSREQ (caller) or HSRSP (listener): our SRT version and flags with the two latencies. */
export const ourSrtInfo = (
	type: typeof ExtensionType.hsreq | typeof ExtensionType.hsrsp,
	recvLatencyMs: number,
	sendLatencyMs: number,
): HandshakeExtension => ({
	type,
	data: encodeSrtInfo({ version: OUR_SRT_VERSION, flags: OUR_SRT_FLAGS, recvLatencyMs, sendLatencyMs }),
});

/**
 * String extensions (SID, congestion, filter): UTF-8 padded with NUL to whole words, the bytes of
 * each word reversed on the wire because libsrt byte-swaps every CIF word.
 */
export const encodeStringExtension = (text: string): Uint8Array => {
	const utf8 = Buffer.from(text, 'utf8');
	const out = new Uint8Array(Math.ceil(utf8.length / 4) * 4);
	for (let i = 0; i < utf8.length; i++) out[(i & ~3) + 3 - (i & 3)] = utf8[i] ?? 0;
	return out;
};

export const decodeStringExtension = (data: Uint8Array): string => {
	const bytes = Buffer.alloc(data.length);
	for (let i = 0; i < data.length; i++) bytes[(i & ~3) + 3 - (i & 3)] = data[i] ?? 0;
	let end = bytes.length;
	while (end > 0 && bytes[end - 1] === 0) end--;
	return bytes.toString('utf8', 0, end);
};

export const findExtension = (hs: Handshake, type: number): HandshakeExtension | undefined =>
	hs.extensions.find((e) => e.type === type);
