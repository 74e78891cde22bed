/**
 * Crash repair for an MPEG-TS the recorder was writing: the file may end mid-packet and, on each
 * PID, mid-PES. It is cut to whole 188-byte packets (ISO/IEC 13818-1 §2.4.3.2), then before the
 * earliest PES that the end of the file leaves incomplete, so every access unit left decodes:
 * a PES is complete when its PES_packet_length (§2.4.3.7) is covered by the payload that follows;
 * a PES without a length (video) is taken as incomplete when it is the last on its PID, which drops
 * at most one frame. Only the tail is read.
 */
import { open } from 'node:fs/promises';
import { TS_PACKET_SIZE as PACKET, TS_SYNC_BYTE as SYNC } from '../../src/codec/mpeg-ts.ts';
import type { RepairReport } from '../repair-report.ts';

/** Bytes of tail scanned: a few seconds of a high-bitrate stream; older PES are long complete. */
const TAIL_BYTES = PACKET * 40_000;

type LastPes = { start: number; length: number; payload: number };

export const repairTs = async (path: string): Promise<RepairReport> => {
	const file = await open(path, 'r+');
	try {
		const size = (await file.stat()).size;
		const whole = size - (size % PACKET);
		const from = Math.max(0, whole - TAIL_BYTES);
		const tail = new Uint8Array(whole - from);
		await file.read(tail, 0, tail.length, from);
		const cut = from + cutPoint(tail);
		if (cut !== size) await file.truncate(cut);
		await file.datasync();
		return { path, bytesBefore: size, bytesAfter: cut, bytesCut: size - cut };
	} finally {
		await file.close();
	}
};

/** Where the tail must end: before the earliest incomplete last PES, or at its end when none is. */
const cutPoint = (tail: Uint8Array): number => {
	const last = new Map<number, LastPes>();
	for (let at = 0; at + PACKET <= tail.length; at += PACKET) {
		if (tail[at] !== SYNC) continue;
		const b1 = tail[at + 1]!;
		const pid = ((b1 & 0x1f) << 8) | tail[at + 2]!;
		const unitStart = (b1 & 0x40) !== 0;
		const control = (tail[at + 3]! >> 4) & 0x3;
		if (control === 0 || control === 2) continue; // no payload
		let payload = at + 4;
		if (control === 3) payload += 1 + tail[at + 4]!;
		if (payload >= at + PACKET) continue;
		if (unitStart) {
			// packet_start_code_prefix 0x000001 marks a PES; PSI sections (PAT, PMT) are left alone.
			if (tail[payload] !== 0 || tail[payload + 1] !== 0 || tail[payload + 2] !== 1) {
				last.delete(pid);
				continue;
			}
			const length = (tail[payload + 4]! << 8) | tail[payload + 5]!;
			last.set(pid, { start: at, length, payload: at + PACKET - payload - 6 });
		} else {
			const pes = last.get(pid);
			if (pes) pes.payload += at + PACKET - payload;
		}
	}
	let cut = tail.length;
	for (const pes of last.values()) {
		const complete = pes.length > 0 && pes.payload >= pes.length;
		if (!complete && pes.start < cut) cut = pes.start;
	}
	return cut;
};
