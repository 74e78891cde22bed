/**
 * Transport-stream surgery for the acceptance corpus: the damage and odd packetizations that
 * ffmpeg and GStreamer do not write on their own, applied to the bytes they did write. Every
 * function takes a whole 188-byte-aligned TS and returns a new one; the packet and PES layouts
 * follow ISO/IEC 13818-1 §2.4.3.2 (transport packet), §2.4.3.4 (adaptation field, PCR) and
 * §2.4.3.6 (PES header, PTS/DTS).
 */
import { crc32Mpeg } from '../../src/bytes/crc32-mpeg.ts';
import { TS_PACKET_SIZE, TsStreamType } from '../../src/codec/mpeg-ts.ts';

const PTS_WRAP = 2 ** 33;

/** The fields of one transport packet header that the surgery needs. */
export type TsHeader = {
	readonly pid: number;
	readonly pusi: boolean;
	readonly cc: number;
	/** Offset of the payload in the packet (188 when there is none). */
	readonly payloadStart: number;
	/** Offset of the 6-byte PCR, or -1. */
	readonly pcrAt: number;
};

export const tsHeader = (ts: Uint8Array, at: number): TsHeader => {
	const pid = ((ts[at + 1]! & 0x1f) << 8) | ts[at + 2]!;
	const control = (ts[at + 3]! >> 4) & 0x3;
	const hasAdaptation = (control & 0x2) !== 0;
	const adaptationLength = hasAdaptation ? ts[at + 4]! : -1;
	const payloadStart = control & 0x1 ? 4 + (hasAdaptation ? 1 + adaptationLength : 0) : TS_PACKET_SIZE;
	const pcrAt = hasAdaptation && adaptationLength > 0 && ts[at + 5]! & 0x10 ? 6 : -1;
	return { pid, pusi: (ts[at + 1]! & 0x40) !== 0, cc: ts[at + 3]! & 0xf, payloadStart, pcrAt };
};

/** Offsets of the packets, in order. */
export const packetOffsets = (ts: Uint8Array): number[] =>
	Array.from({ length: Math.floor(ts.length / TS_PACKET_SIZE) }, (_, i) => i * TS_PACKET_SIZE);

/** The PID carrying the first elementary stream of `streamType` in the first PMT. */
export const pidOfStreamType = (ts: Uint8Array, streamType: number): number => {
	const pmt = readPmt(ts);
	const entry = pmt.streams.find((s) => s.streamType === streamType);
	if (!entry) throw new Error(`no stream of type 0x${streamType.toString(16)} in the PMT`);
	return entry.pid;
};

type PmtStream = { streamType: number; pid: number; info: Uint8Array };
type Pmt = { pid: number; programNumber: number; pcrPid: number; programInfo: Uint8Array; streams: PmtStream[] };

/** The first program's PMT (PAT → PMT, one section each, as ffmpeg writes them). */
export const readPmt = (ts: Uint8Array): Pmt => {
	const section = (pid: number): Uint8Array => {
		for (const at of packetOffsets(ts)) {
			const h = tsHeader(ts, at);
			if (h.pid !== pid || !h.pusi) continue;
			const start = at + h.payloadStart + 1 + ts[at + h.payloadStart]!;
			const length = 3 + (((ts[start + 1]! & 0xf) << 8) | ts[start + 2]!);
			return ts.subarray(start, start + length);
		}
		throw new Error(`no section on PID ${pid}`);
	};
	const pat = section(0);
	const pmtPid = ((pat[10]! & 0x1f) << 8) | pat[11]!;
	const pmt = section(pmtPid);
	const infoLength = ((pmt[10]! & 0xf) << 8) | pmt[11]!;
	const streams: PmtStream[] = [];
	for (let i = 12 + infoLength; i < pmt.length - 4; ) {
		const esInfoLength = ((pmt[i + 3]! & 0xf) << 8) | pmt[i + 4]!;
		streams.push({
			streamType: pmt[i]!,
			pid: ((pmt[i + 1]! & 0x1f) << 8) | pmt[i + 2]!,
			info: pmt.slice(i + 5, i + 5 + esInfoLength),
		});
		i += 5 + esInfoLength;
	}
	return {
		pid: pmtPid,
		programNumber: (pmt[3]! << 8) | pmt[4]!,
		pcrPid: ((pmt[8]! & 0x1f) << 8) | pmt[9]!,
		programInfo: pmt.slice(12, 12 + infoLength),
		streams,
	};
};

/** A PES header's PTS and DTS (90 kHz), undefined when absent. */
const pesTimes = (ts: Uint8Array, payload: number): { pts?: number; dts?: number; headerEnd: number } => {
	const flags = ts[payload + 7]! >> 6;
	const headerEnd = payload + 9 + ts[payload + 8]!;
	return {
		...(flags & 0x2 && { pts: readTimestamp(ts, payload + 9) }),
		...(flags === 0x3 && { dts: readTimestamp(ts, payload + 14) }),
		headerEnd,
	};
};

const readTimestamp = (b: Uint8Array, at: number): number =>
	((b[at]! >> 1) & 0x7) * 2 ** 30 +
	(b[at + 1]! << 22) +
	((b[at + 2]! >> 1) << 15) +
	(b[at + 3]! << 7) +
	(b[at + 4]! >> 1);

/** Writes a 33-bit timestamp keeping the 4-bit prefix already there (§2.4.3.7). */
const writeTimestamp = (b: Uint8Array, at: number, value: number): void => {
	const v = ((value % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
	const high = Math.floor(v / 2 ** 30);
	const low = v % 2 ** 30;
	b[at] = (b[at]! & 0xf0) | (high << 1) | 1;
	b[at + 1] = low >>> 22;
	b[at + 2] = (((low >>> 15) & 0x7f) << 1) | 1;
	b[at + 3] = (low >>> 7) & 0xff;
	b[at + 4] = ((low & 0x7f) << 1) | 1;
};

const isPesStart = (ts: Uint8Array, payload: number): boolean =>
	ts[payload] === 0 && ts[payload + 1] === 0 && ts[payload + 2] === 1 && ts[payload + 3]! >= 0xbc;

/**
 * Adds `delta90k` to every PTS, DTS and PCR from packet `fromPacket` on: a spliced feed's
 * timestamp jump, with continuity counters untouched.
 */
export const shiftTimestamps = (input: Uint8Array, fromPacket: number, delta90k: number): Uint8Array => {
	const ts = input.slice();
	for (const at of packetOffsets(ts).slice(fromPacket)) {
		const h = tsHeader(ts, at);
		if (h.pcrAt > 0) {
			const p = at + h.pcrAt;
			const base = ts[p]! * 2 ** 25 + (ts[p + 1]! << 17) + (ts[p + 2]! << 9) + (ts[p + 3]! << 1) + (ts[p + 4]! >> 7);
			const shifted = (((base + delta90k) % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
			ts[p] = Math.floor(shifted / 2 ** 25);
			ts[p + 1] = Math.floor(shifted / 2 ** 17) & 0xff;
			ts[p + 2] = Math.floor(shifted / 2 ** 9) & 0xff;
			ts[p + 3] = Math.floor(shifted / 2) & 0xff;
			ts[p + 4] = ((shifted & 1) << 7) | (ts[p + 4]! & 0x7f);
		}
		const payload = at + h.payloadStart;
		if (!h.pusi || h.payloadStart >= TS_PACKET_SIZE || !isPesStart(ts, payload)) continue;
		const { pts, dts } = pesTimes(ts, payload);
		if (pts !== undefined) writeTimestamp(ts, payload + 9, pts + delta90k);
		if (dts !== undefined) writeTimestamp(ts, payload + 14, dts + delta90k);
	}
	return ts;
};

/** Index of the first packet of `pid` starting a PES at or after `fraction` of the file. */
export const pesStartNear = (ts: Uint8Array, pid: number, fraction: number): number => {
	const offsets = packetOffsets(ts);
	for (let i = Math.floor(offsets.length * fraction); i < offsets.length; i++) {
		const h = tsHeader(ts, offsets[i]!);
		if (h.pid === pid && h.pusi) return i;
	}
	throw new Error(`no PES start on PID ${pid} after ${fraction}`);
};

/** A deterministic pseudo-random sequence in [0, 1) (mulberry32), so the damage is the same every run. */
export const seededRandom = (seed: number): (() => number) => {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
	};
};

/** Drops `fraction` of the packets after the first `keep` (PAT and PMT stay readable), as a lossy UDP path would. */
export const dropPackets = (ts: Uint8Array, fraction: number, seed: number, keep = 20): Uint8Array => {
	const random = seededRandom(seed);
	const kept = packetOffsets(ts).filter((_, i) => i < keep || random() >= fraction);
	return concat(kept.map((at) => ts.subarray(at, at + TS_PACKET_SIZE)));
};

/** Overwrites `count` random bytes after the first `keep` packets with random values (sync bytes too). */
export const damageBytes = (ts: Uint8Array, count: number, seed: number, keep = 20): Uint8Array => {
	const random = seededRandom(seed);
	const out = ts.slice();
	const start = keep * TS_PACKET_SIZE;
	for (let i = 0; i < count; i++) out[start + Math.floor(random() * (out.length - start))] = Math.floor(random() * 256);
	return out;
};

/**
 * Rewrites the ADTS header of the first audio frame starting in the PES at packet `packetIndex`
 * so it claims another sampling rate (ISO/IEC 13818-7 §6.2.1: sampling_frequency_index, 4 bits
 * at bit 18): one corrupt header, the frame's length and payload unchanged.
 */
export const corruptAdtsHeader = (input: Uint8Array, packetIndex: number): Uint8Array => {
	const ts = input.slice();
	const at = packetIndex * TS_PACKET_SIZE;
	const h = tsHeader(ts, at);
	const { headerEnd } = pesTimes(ts, at + h.payloadStart);
	for (let i = headerEnd; i < at + TS_PACKET_SIZE - 3; i++) {
		if (ts[i] === 0xff && (ts[i + 1]! & 0xf6) === 0xf0) {
			const index = (ts[i + 2]! >> 2) & 0xf;
			ts[i + 2] = (ts[i + 2]! & 0xc3) | ((index === 8 ? 3 : 8) << 2);
			return ts;
		}
	}
	throw new Error(`no ADTS header in the packet ${packetIndex}`);
};

/** One transport packet of `pid`: `payload` (≤ 184 bytes) after an adaptation field of stuffing, or of a PCR. */
const transportPacket = (pid: number, pusi: boolean, cc: number, payload: Uint8Array, pcr?: Uint8Array): Uint8Array => {
	const packet = new Uint8Array(TS_PACKET_SIZE).fill(0xff);
	packet[0] = 0x47;
	packet[1] = (pusi ? 0x40 : 0) | (pid >> 8);
	packet[2] = pid & 0xff;
	const adaptation = TS_PACKET_SIZE - 4 - payload.length;
	packet[3] = (adaptation > 0 ? (payload.length > 0 ? 0x30 : 0x20) : 0x10) | cc;
	if (adaptation > 0) {
		packet[4] = adaptation - 1;
		if (adaptation > 1) packet[5] = pcr ? 0x10 : 0;
		if (pcr) packet.set(pcr, 6);
	}
	packet.set(payload, TS_PACKET_SIZE - payload.length);
	return packet;
};

/** Cuts `bytes` into transport packets of `pid` starting at continuity counter `cc`; returns the packets. */
const packetize = (pid: number, bytes: Uint8Array, cc: { next: number }): Uint8Array[] => {
	const packets: Uint8Array[] = [];
	for (let at = 0; at < bytes.length; at += 184) {
		packets.push(transportPacket(pid, at === 0, cc.next, bytes.subarray(at, at + 184)));
		cc.next = (cc.next + 1) & 0xf;
	}
	return packets;
};

/** A video PES (stream_id 0xE0, unbounded length) with PTS and DTS, or none (§2.4.3.6). */
const videoPes = (es: Uint8Array, times?: { pts: number; dts?: number }): Uint8Array => {
	const timeBytes = times ? (times.dts === undefined ? 5 : 10) : 0;
	const pes = new Uint8Array(9 + timeBytes + es.length);
	pes.set([0, 0, 1, 0xe0, 0, 0, 0x80, times ? (times.dts === undefined ? 0x80 : 0xc0) : 0, timeBytes]);
	if (times) {
		pes[9] = times.dts === undefined ? 0x20 : 0x30;
		writeTimestamp(pes, 9, times.pts);
		if (times.dts !== undefined) {
			pes[14] = 0x10;
			writeTimestamp(pes, 14, times.dts);
		}
	}
	pes.set(es, 9 + timeBytes);
	return pes;
};

/** Offsets of the Annex B start codes (00 00 01, or 00 00 00 01 counted from its first zero). */
const nalStarts = (es: Uint8Array): number[] => {
	const starts: number[] = [];
	for (let i = 0; i + 3 <= es.length; i++) {
		if (es[i] === 0 && es[i + 1] === 0 && es[i + 2] === 1) {
			starts.push(i > 0 && es[i - 1] === 0 ? i - 1 : i);
			i += 2;
		}
	}
	return starts;
};

/**
 * Re-packetizes the H.264 stream on `pid` so that every slice after a picture's first gets a PES of
 * its own, as GStreamer's mpegtsmux writes NAL-aligned input: each continuation PES repeats the
 * picture's PTS/DTS (`withTimes`) or carries none, which §2.4.3.7 allows. The new packets take the
 * place of the picture's first packet; PCRs of the old packets stay where they were, in
 * adaptation-only packets.
 */
export const splitPicturesIntoPes = (ts: Uint8Array, pid: number, withTimes: boolean): Uint8Array => {
	const out: Uint8Array[] = [];
	const cc = { next: 0 };
	const offsets = packetOffsets(ts);
	for (let i = 0; i < offsets.length; i++) {
		const at = offsets[i]!;
		const h = tsHeader(ts, at);
		if (h.pid !== pid) {
			out.push(ts.subarray(at, at + TS_PACKET_SIZE));
			continue;
		}
		if (h.pcrAt > 0) {
			const previous = (cc.next + 15) & 0xf;
			out.push(transportPacket(pid, false, previous, new Uint8Array(0), ts.subarray(at + 6, at + 12)));
		}
		if (!h.pusi) continue;
		// Gather this PES: its payload runs until the next PES start on the PID.
		const parts: Uint8Array[] = [];
		for (let j = i; j < offsets.length; j++) {
			const o = offsets[j]!;
			const hj = tsHeader(ts, o);
			if (hj.pid !== pid) continue;
			if (j > i && hj.pusi) break;
			parts.push(ts.subarray(o + hj.payloadStart, o + TS_PACKET_SIZE));
		}
		const pes = concat(parts);
		const { pts, dts, headerEnd } = pesTimes(pes, 0);
		const es = pes.subarray(headerEnd);
		const times = pts === undefined ? undefined : { pts, ...(dts !== undefined && { dts }) };
		const slices = nalStarts(es).filter((start) => isSliceAfterFirst(es, start));
		const cuts = [0, ...slices, es.length];
		for (let k = 0; k + 1 < cuts.length; k++) {
			const piece = es.subarray(cuts[k], cuts[k + 1]);
			out.push(...packetize(pid, videoPes(piece, k === 0 || withTimes ? times : undefined), cc));
		}
	}
	return concat(out);
};

/** A coded slice (NAL type 1 or 5) whose first_mb_in_slice is not 0: ue(v) ≠ 0 means its first bit is 0. */
const isSliceAfterFirst = (es: Uint8Array, start: number): boolean => {
	const header = es[start + 2] === 1 ? start + 3 : start + 4;
	const type = es[header]! & 0x1f;
	return (type === 1 || type === 5) && (es[header + 1]! & 0x80) === 0;
};

export const concat = (parts: readonly Uint8Array[]): Uint8Array => {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
};

/** A PSI section in one transport packet, pointer_field 0 and 0xFF stuffing (§2.4.4.1). */
const sectionPacket = (pid: number, cc: number, section: Uint8Array): Uint8Array =>
	transportPacket(
		pid,
		true,
		cc,
		concat([new Uint8Array([0]), section, new Uint8Array(183 - section.length).fill(0xff)]),
	);

/** Appends CRC_32 (§2.4.4.13 / Annex A) to a section whose length fields already count it. */
const withCrc = (body: number[]): Uint8Array => {
	const section = new Uint8Array(body.length + 4);
	section.set(body);
	new DataView(section.buffer).setUint32(body.length, crc32Mpeg(section, 0, body.length));
	return section;
};

/**
 * An SCTE-35 splice_info_section carrying a time_signal() at `pts` (ANSI/SCTE 35 §9.6, §9.7.4):
 * no encryption, pts_adjustment 0, no descriptors.
 */
const spliceInfoSection = (pts: number): Uint8Array => {
	const command = [0xfe | Math.floor(pts / 2 ** 32), ...u32(pts % 2 ** 32)];
	// After section_length: protocol_version, pts_adjustment (5), cw_index, tier + command length (3),
	// the command's type and bytes, descriptor_loop_length (2), CRC_32 (4).
	const length = 1 + 5 + 1 + 3 + 1 + command.length + 2 + 4;
	return withCrc([
		0xfc,
		0x30 | (length >> 8),
		length & 0xff,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0xff,
		0xf0,
		command.length,
		0x06,
		...command,
		0,
		0,
	]);
};

const u32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/**
 * Adds an SCTE-35 PID to the first program: the PMT gains a stream of type 0x86 and the SCTE
 * registration descriptor 'CUEI' (ANSI/SCTE 35 §8.1), and a splice_info_section with a
 * time_signal follows each of the video PES starts at `atFractions` of the file, stamped with
 * that picture's PTS.
 */
export const addScte35 = (input: Uint8Array, atFractions: readonly number[], scte35Pid = 0x1f0): Uint8Array => {
	const pmt = readPmt(input);
	const videoPid = pidOfStreamType(input, TsStreamType.H264);
	const registration = [0x05, 4, 0x43, 0x55, 0x45, 0x49];
	const info = [...pmt.programInfo, ...registration];
	const streams = [...pmt.streams, { streamType: TsStreamType.Scte35, pid: scte35Pid, info: new Uint8Array(0) }];
	const loop = streams.flatMap((s) => [
		s.streamType,
		0xe0 | (s.pid >> 8),
		s.pid & 0xff,
		0xf0 | (s.info.length >> 8),
		s.info.length & 0xff,
		...s.info,
	]);
	const length = 9 + info.length + loop.length + 4;
	const newPmt = withCrc([
		0x02,
		0xb0 | (length >> 8),
		length & 0xff,
		pmt.programNumber >> 8,
		pmt.programNumber & 0xff,
		0xc1,
		0,
		0,
		0xe0 | (pmt.pcrPid >> 8),
		pmt.pcrPid & 0xff,
		0xf0 | (info.length >> 8),
		info.length & 0xff,
		...info,
		...loop,
	]);
	const cuePackets = new Set(atFractions.map((f) => pesStartNear(input, videoPid, f)));
	const out: Uint8Array[] = [];
	let cueCc = 0;
	packetOffsets(input).forEach((at, i) => {
		const h = tsHeader(input, at);
		if (h.pid === pmt.pid) {
			if (h.pusi) out.push(sectionPacket(pmt.pid, h.cc, newPmt));
			return;
		}
		out.push(input.subarray(at, at + TS_PACKET_SIZE));
		if (cuePackets.has(i)) {
			const { pts } = pesTimes(input, at + h.payloadStart);
			out.push(sectionPacket(scte35Pid, cueCc, spliceInfoSection(pts ?? 0)));
			cueCc = (cueCc + 1) & 0xf;
		}
	});
	return concat(out);
};
