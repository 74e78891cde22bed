/**
 * Replays one MPEG-TS file in real time to many UDP ports at once, from one light process: the bench's
 * publisher for UDP inputs (and for srt-live-transmit, which reads UDP). Datagrams of 7 TS packets
 * (1316 bytes, what ffmpeg and encoders send) leave at the time the file's PCR gives them (ISO/IEC
 * 13818-1 §2.4.2.2: PCR is the byte's arrival time at the decoder), interpolated between PCRs, so a
 * CBR stream goes out at its own rate without ffmpeg's demux and mux per stream.
 *
 * Usage: node --import tsx bench/ts-pacer.ts <file.ts> <seconds> <port>...   (destinations on 127.0.0.1)
 * Stream k starts k/N of a second after the first, so keyframes of the N copies do not all arrive at once.
 * Prints one JSON line with what was sent when it is done (or on SIGTERM).
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TS_PACKET = 188;
const PACKETS_PER_DATAGRAM = 7;
const DATAGRAM = TS_PACKET * PACKETS_PER_DATAGRAM;
const PCR_HZ = 27_000_000;
const TICK_MS = 2;

/** The PCR of the TS packet at `offset` in seconds, or -1 when it carries none (§2.4.3.4–5). */
const pcrSeconds = (bytes: Uint8Array, offset: number): number => {
	const adaptation = (bytes[offset + 3]! >> 4) & 0x3;
	if ((adaptation & 0x2) === 0 || bytes[offset + 4]! === 0 || (bytes[offset + 5]! & 0x10) === 0) return -1;
	const b = offset + 6;
	// 33-bit base: arithmetic, not bit operators, past bit 31.
	const base =
		bytes[b]! * 2 ** 25 + bytes[b + 1]! * 2 ** 17 + bytes[b + 2]! * 2 ** 9 + bytes[b + 3]! * 2 + (bytes[b + 4]! >> 7);
	const extension = ((bytes[b + 4]! & 0x1) << 8) | bytes[b + 5]!;
	return (base * 300 + extension) / PCR_HZ;
};

/**
 * Send time (ms from the stream's start) of every datagram of `bytes`: the PCRs of the first PID that
 * carries them, linearly interpolated by packet index; the average rate extends the ends.
 */
export const datagramSchedule = (bytes: Uint8Array): Float64Array => {
	const packets = Math.floor(bytes.length / TS_PACKET);
	const indexes: number[] = [];
	const seconds: number[] = [];
	let pcrPid = -1;
	for (let i = 0; i < packets; i++) {
		const offset = i * TS_PACKET;
		if (bytes[offset] !== 0x47) continue;
		const pid = ((bytes[offset + 1]! & 0x1f) << 8) | bytes[offset + 2]!;
		if (pcrPid >= 0 && pid !== pcrPid) continue;
		const pcr = pcrSeconds(bytes, offset);
		if (pcr < 0) continue;
		pcrPid = pid;
		indexes.push(i);
		seconds.push(pcr);
	}
	if (indexes.length < 2) throw new Error('the file needs at least two PCRs to be paced');
	const first = seconds[0]!;
	const rate = (indexes.at(-1)! - indexes[0]!) / (seconds.at(-1)! - first); // packets per second
	const schedule = new Float64Array(Math.ceil(packets / PACKETS_PER_DATAGRAM));
	let segment = 0;
	for (let d = 0; d < schedule.length; d++) {
		const packet = d * PACKETS_PER_DATAGRAM;
		while (segment < indexes.length - 2 && packet >= indexes[segment + 1]!) segment++;
		const i0 = indexes[segment]!;
		const i1 = indexes[segment + 1]!;
		const t =
			packet < i0 || packet > i1
				? seconds[packet < i0 ? 0 : segment + 1]! + (packet - (packet < i0 ? i0 : i1)) / rate
				: seconds[segment]! + ((packet - i0) / (i1 - i0)) * (seconds[segment + 1]! - seconds[segment]!);
		schedule[d] = Math.max(0, (t - first) * 1000);
	}
	return schedule;
};

type Stream = { readonly socket: Socket; readonly startMs: number; next: number };

export type PacerReport = { streams: number; datagrams: number; bytes: number; maxLateMs: number; errors: number };

/** Sends `bytes` to every port for `seconds` of media; resolves with what went out. */
export const pace = (bytes: Uint8Array, seconds: number, ports: readonly number[]): Promise<PacerReport> => {
	const schedule = datagramSchedule(bytes);
	const endMs = seconds * 1000;
	const report: PacerReport = { streams: ports.length, datagrams: 0, bytes: 0, maxLateMs: 0, errors: 0 };
	const origin = performance.now() + 50;
	const streams: Stream[] = ports.map((port, k) => {
		const socket = createSocket('udp4');
		socket.on('error', () => report.errors++);
		socket.connect(port, '127.0.0.1');
		return { socket, startMs: origin + (k * 1000) / ports.length, next: 0 };
	});
	return new Promise((resolve) => {
		const finish = () => {
			clearInterval(timer);
			for (const s of streams) s.socket.close();
			resolve(report);
		};
		const tick = () => {
			const now = performance.now();
			let running = 0;
			for (const s of streams) {
				while (s.next < schedule.length && schedule[s.next]! <= endMs && s.startMs + schedule[s.next]! <= now) {
					const from = s.next * DATAGRAM;
					const chunk = bytes.subarray(from, Math.min(from + DATAGRAM, bytes.length));
					// Before connect() completes (first tick) the send is queued by Node, not lost.
					s.socket.send(chunk);
					report.datagrams++;
					report.bytes += chunk.length;
					report.maxLateMs = Math.max(report.maxLateMs, now - s.startMs - schedule[s.next]!);
					s.next++;
				}
				if (s.next < schedule.length && schedule[s.next]! <= endMs) running++;
			}
			if (running === 0) finish();
		};
		const timer = setInterval(tick, TICK_MS);
		process.once('SIGTERM', finish);
	});
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const [file, seconds, ...ports] = process.argv.slice(2);
	if (!file || !seconds || ports.length === 0) {
		console.error('usage: ts-pacer.ts <file.ts> <seconds> <port>...');
		process.exit(2);
	}
	const report = await pace(readFileSync(file), Number(seconds), ports.map(Number));
	console.log(JSON.stringify(report));
	process.exit(0);
}
