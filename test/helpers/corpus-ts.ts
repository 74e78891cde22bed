/**
 * Transport-stream surgery for the acceptance corpus: the damage and timestamp jumps that ffmpeg
 * and GStreamer do not write on their own, applied to the bytes they did write (new packets and
 * sections: corpus-ts-write.ts). Every function takes a whole 188-byte-aligned TS and returns a new
 * one; the layouts follow ISO/IEC 13818-1 §2.4.3.2 (transport packet), §2.4.3.4 (adaptation field,
 * PCR) and §2.4.3.6 (PES header, PTS/DTS).
 */
import { TS_PACKET_SIZE } from '../../src/codec/mpeg-ts.ts';

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
export const pesTimes = (ts: Uint8Array, payload: number): { pts?: number; dts?: number; headerEnd: number } => {
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
export const writeTimestamp = (b: Uint8Array, at: number, value: number): void => {
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

export const concat = (parts: readonly Uint8Array[]): Uint8Array => {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
};
