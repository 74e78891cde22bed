import { crc32Mpeg } from '../../src/bytes/crc32-mpeg.ts';
import { readPmt } from './corpus-ts.ts';

/**
 * Small edits of MPEG-TS files made at test time (ISO/IEC 13818-1 §2.4.3): the damage, splits
 * and packet forms real streams have, made from clean ffmpeg or GStreamer output.
 */
export const PACKET = 188;

export const pidAt = (ts: Uint8Array, at: number): number => ((ts[at + 1]! & 0x1f) << 8) | ts[at + 2]!;
export const unitStartAt = (ts: Uint8Array, at: number): boolean => (ts[at + 1]! & 0x40) !== 0;

/** Offset of the payload of the packet at `at` (past the adaptation field), or −1 when it has none. */
export const payloadAt = (ts: Uint8Array, at: number): number => {
	const control = (ts[at + 3]! >> 4) & 3;
	if (!(control & 1)) return -1;
	return control & 2 ? at + 5 + ts[at + 4]! : at + 4;
};

/** Offsets of the packets of `pid`, in order. */
export const packetsOf = (ts: Uint8Array, pid: number): number[] => {
	const out: number[] = [];
	for (let at = 0; at + PACKET <= ts.length; at += PACKET) if (pidAt(ts, at) === pid) out.push(at);
	return out;
};

/** A copy of `ts` without the packets at the given offsets. */
export const withoutPackets = (ts: Uint8Array, offsets: readonly number[]): Uint8Array => {
	const drop = new Set(offsets);
	const out = new Uint8Array(ts.length - drop.size * PACKET);
	let w = 0;
	for (let at = 0; at + PACKET <= ts.length; at += PACKET) {
		if (drop.has(at)) continue;
		out.set(ts.subarray(at, at + PACKET), w);
		w += PACKET;
	}
	return out;
};

/**
 * Removes the PTS/DTS of every PES of `pid` for which `strip(index)` holds: PTS_DTS_flags become 0
 * and the timestamp bytes become stuffing (0xFF), so the packet layout stays the same (§2.4.3.7).
 */
export const stripTimestamps = (ts: Uint8Array, pid: number, strip: (index: number) => boolean): Uint8Array => {
	const out = ts.slice();
	let index = 0;
	for (const at of packetsOf(out, pid)) {
		if (!unitStartAt(out, at)) continue;
		const pes = payloadAt(out, at);
		if (strip(index++) && out[pes + 7]! >> 6) {
			const length = out[pes + 8]!; // PES_header_data_length
			out[pes + 7] = out[pes + 7]! & 0x3f;
			out.fill(0xff, pes + 9, pes + 9 + length);
		}
	}
	return out;
};

/** The same packets in 192-byte M2TS units (a 4-byte arrival timestamp before each) or with 16 parity bytes after each. */
export const restride = (ts: Uint8Array, form: 'm2ts' | 'rs204'): Uint8Array => {
	const count = ts.length / PACKET;
	const stride = form === 'm2ts' ? 192 : 204;
	const out = new Uint8Array(count * stride);
	for (let i = 0; i < count; i++) {
		const at = i * stride + (form === 'm2ts' ? 4 : 0);
		if (form === 'm2ts') new DataView(out.buffer).setUint32(i * stride, (i * 1000) & 0x3fffffff);
		else out.fill(0xa5, at + PACKET, at + 204);
		out.set(ts.subarray(i * PACKET, (i + 1) * PACKET), at);
	}
	return out;
};

/** One TS packet of `pid` carrying `section` from its first byte (pointer_field 0), stuffed with 0xFF. */
export const sectionPacket = (pid: number, section: Uint8Array, counter: number): Uint8Array => {
	const packet = new Uint8Array(PACKET).fill(0xff);
	packet.set([0x47, 0x40 | (pid >> 8), pid & 0xff, 0x10 | (counter & 0x0f), 0]);
	packet.set(section, 5);
	return packet;
};

/** A section with `body` after its 3-byte header, and its CRC_32 when `syntax` (§2.4.4.11). */
export const makeSection = (tableId: number, body: readonly number[], syntax: boolean): Uint8Array => {
	const length = body.length + 4;
	const section = new Uint8Array(3 + length);
	section.set([tableId, (syntax ? 0xb0 : 0x30) | (length >> 8), length & 0xff, ...body]);
	new DataView(section.buffer).setUint32(3 + body.length, crc32Mpeg(section, 0, 3 + body.length));
	return section;
};

/** An elementary stream entry to add to a PMT: stream_type, PID and raw descriptors. */
export type PmtEntry = { readonly streamType: number; readonly pid: number; readonly descriptors: readonly number[] };

/**
 * A copy of `ts` whose PMT sections (one per packet, as ffmpeg writes them) list `extra` streams
 * after their own, with a new CRC_32.
 */
export const withPmtEntries = (ts: Uint8Array, extra: readonly PmtEntry[]): Uint8Array =>
	withPmtRewritten(ts, (body) => {
		for (const entry of extra) {
			const n = entry.descriptors.length;
			body.push(
				entry.streamType,
				0xe0 | (entry.pid >> 8),
				entry.pid & 0xff,
				0xf0 | (n >> 8),
				n & 0xff,
				...entry.descriptors,
			);
		}
	});

/**
 * A copy of `ts` whose PMT sections (one per packet, as ffmpeg writes them) have their body (from
 * program_number to the last descriptor, CRC_32 excluded) changed by `rewrite`, with a new CRC_32.
 */
export const withPmtRewritten = (ts: Uint8Array, rewrite: (body: number[]) => void): Uint8Array => {
	const out = ts.slice();
	const pmtPid = readPmt(ts).pid;
	for (const at of packetsOf(out, pmtPid)) {
		if (!unitStartAt(out, at)) continue;
		const s = payloadAt(out, at) + 1 + out[payloadAt(out, at)]!;
		const length = ((out[s + 1]! & 0x0f) << 8) | out[s + 2]!;
		const body = [...out.subarray(s + 3, s + 3 + length - 4)];
		rewrite(body);
		const section = makeSection(out[s]!, body, true);
		if (s + section.length > at + PACKET) throw new Error('PMT does not fit in one packet');
		out.fill(0xff, s, at + PACKET);
		out.set(section, s);
	}
	return out;
};

/** A copy of `ts` with `packet` inserted after every `every`-th packet (from the `first`-th on). */
export const withPacketsInserted = (
	ts: Uint8Array,
	make: (n: number) => Uint8Array,
	every: number,
	first = every,
): Uint8Array => {
	const parts: Uint8Array[] = [];
	let n = 0;
	for (let i = 0, at = 0; at + PACKET <= ts.length; i++, at += PACKET) {
		parts.push(ts.subarray(at, at + PACKET));
		if (i >= first && (i - first) % every === 0) parts.push(make(n++));
	}
	const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
	let w = 0;
	for (const part of parts) {
		out.set(part, w);
		w += part.length;
	}
	return out;
};

/** One TS packet of `pid` starting a PES (stream_id 0xBD, private_stream_1) dated `pts` (90 kHz), with `payload`. */
export const pesPacket = (pid: number, pts: number, payload: Uint8Array, counter: number): Uint8Array => {
	const packet = new Uint8Array(PACKET).fill(0xff);
	const header = [0, 0, 1, 0xbd, 0, 0, 0x80, 0x80, 5];
	const stamp = [
		0x21 | ((pts / 2 ** 29) & 0x0e),
		(pts >> 22) & 0xff,
		((pts >> 14) & 0xfe) | 1,
		(pts >> 7) & 0xff,
		((pts << 1) & 0xfe) | 1,
	];
	const length = 3 + 5 + payload.length; // PES_packet_length: past its own field
	header[4] = length >> 8;
	header[5] = length & 0xff;
	const stuffing = PACKET - 4 - header.length - stamp.length - payload.length;
	packet.set([0x47, 0x40 | (pid >> 8), pid & 0xff, (stuffing > 0 ? 0x30 : 0x10) | (counter & 0x0f)]);
	let at = 4;
	if (stuffing > 0) {
		packet[4] = stuffing - 1; // adaptation_field_length
		if (stuffing > 1) packet[5] = 0;
		at += stuffing;
	}
	packet.set([...header, ...stamp, ...payload], at);
	return packet;
};
