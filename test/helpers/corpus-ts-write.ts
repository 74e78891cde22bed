/**
 * Transport-stream writing for the acceptance corpus: pictures re-packetized into several PES (as
 * GStreamer's mpegtsmux writes NAL-aligned H.264) and SCTE-35 cue sections added to a program,
 * on the bytes ffmpeg wrote. Layouts: ISO/IEC 13818-1 §2.4.3.2 (transport packet), §2.4.3.6 (PES),
 * §2.4.4 (PSI sections); ANSI/SCTE 35 §9.6 (splice_info_section).
 */
import { crc32Mpeg } from '../../src/bytes/crc32-mpeg.ts';
import { TS_PACKET_SIZE, TsStreamType } from '../../src/codec/mpeg-ts.ts';
import {
	concat,
	packetOffsets,
	pesStartNear,
	pesTimes,
	pidOfStreamType,
	readPmt,
	tsHeader,
	writeTimestamp,
} from './corpus-ts.ts';

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
