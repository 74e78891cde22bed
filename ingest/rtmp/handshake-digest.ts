/**
 * The digest ("complex", Flash Player 9+) RTMP handshake: C1/S1 carry an HMAC-SHA256 digest at
 * an offset derived from the packet itself, and C2/S2 are signed with a key derived from the
 * peer's digest. Nothing here is secret: the keys are the constants every RTMP implementation
 * publishes, the digest only proves that both ends speak this variant.
 *
 * Packet layout (1536 bytes): time (4) · version (4) · 1528 bytes in two 764-byte blocks. The
 * digest lives in block 0 (schema 0, offset bytes at 8..11) or block 1 (schema 1, at 772..775).
 */
import { createHmac, randomFillSync } from 'node:crypto';

export const HANDSHAKE_SIZE = 1536;
export const DIGEST_SIZE = 32;
/** RTMP version byte of C0/S0. */
export const RTMP_VERSION = 3;

const KEY_TAIL = [
	0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d,
	0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
];
const keyOf = (text: string): Uint8Array => new Uint8Array([...Buffer.from(text, 'latin1'), ...KEY_TAIL]);

/** "Genuine Adobe Flash Media Server 001" + 32 bytes: the first 36 sign S1, all 68 derive the S2 key. */
export const SERVER_KEY = keyOf('Genuine Adobe Flash Media Server 001');
export const SERVER_SIGNING_KEY = SERVER_KEY.subarray(0, 36);
/** "Genuine Adobe Flash Player 001" + 32 bytes: the first 30 sign C1, all 62 derive the C2 key. */
export const CLIENT_KEY = keyOf('Genuine Adobe Flash Player 001');
export const CLIENT_SIGNING_KEY = CLIENT_KEY.subarray(0, 30);

export type DigestSchema = 0 | 1;

const hmac = (key: Uint8Array, ...parts: Uint8Array[]): Uint8Array => {
	const h = createHmac('sha256', key);
	for (const part of parts) h.update(part);
	return new Uint8Array(h.digest());
};

/** Where the digest sits: the four bytes at the start of its block, summed, modulo 728, past them. */
export const digestOffset = (packet: Uint8Array, schema: DigestSchema): number => {
	const base = schema === 0 ? 8 : 772;
	return ((packet[base]! + packet[base + 1]! + packet[base + 2]! + packet[base + 3]!) % 728) + base + 4;
};

/** HMAC of the whole packet except the 32 digest bytes themselves. */
const packetDigest = (packet: Uint8Array, offset: number, key: Uint8Array): Uint8Array =>
	hmac(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_SIZE, HANDSHAKE_SIZE));

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Finds a valid digest in a C1/S1 signed with `key`; undefined for a plain-handshake packet. */
export const findDigest = (
	packet: Uint8Array,
	key: Uint8Array,
): { schema: DigestSchema; digest: Uint8Array } | undefined => {
	for (const schema of [0, 1] as const) {
		const offset = digestOffset(packet, schema);
		const digest = packet.subarray(offset, offset + DIGEST_SIZE);
		if (equal(digest, packetDigest(packet, offset, key))) return { schema, digest };
	}
	return undefined;
};

/** A C1/S1 with time 0, the given version bytes, random filler and its digest at `schema`. */
export const makeSignedPacket = (
	version: readonly number[],
	key: Uint8Array,
	schema: DigestSchema,
): { packet: Uint8Array; digest: Uint8Array } => {
	const packet = new Uint8Array(HANDSHAKE_SIZE);
	randomFillSync(packet, 8);
	packet.fill(0, 0, 4);
	packet.set(version, 4);
	const offset = digestOffset(packet, schema);
	const digest = packetDigest(packet, offset, key);
	packet.set(digest, offset);
	return { packet, digest };
};

/** C2/S2 answering a signed packet: random bytes whose last 32 are signed with a key derived from the peer digest. */
export const makeSignedResponse = (peerDigest: Uint8Array, fullKey: Uint8Array): Uint8Array => {
	const packet = new Uint8Array(HANDSHAKE_SIZE);
	randomFillSync(packet);
	const body = HANDSHAKE_SIZE - DIGEST_SIZE;
	packet.set(hmac(hmac(fullKey, peerDigest), packet.subarray(0, body)), body);
	return packet;
};
