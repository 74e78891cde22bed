/**
 * CPU cost of the SRT receive path (SrtConnection: header parse, loss detection, ring insert,
 * decryption, ACK/NAK timers, TSBPD delivery), in-process on a fake clock: no sockets, no demuxer.
 * Prints µs of CPU per packet and the resulting % of one core per Mb/s of 1316-byte payloads
 * (the goal: ≤ 0.15 % per Mb/s for the whole ingest, sockets and recording included).
 *
 * Usage: node --import tsx bench/srt-bench.ts [seconds of media, default 600]
 * Not measured here (left): real loopback streams from srt-live-transmit into the listener and the
 * recorder, next to srt-live-transmit relaying the same load.
 */
import { PayloadCipher } from '../ingest/srt/payload-cipher.ts';
import { seqAdd } from '../ingest/srt/sequence.ts';
import { SrtConnection } from '../ingest/srt/srt-connection.ts';
import { HEADER_SIZE, writeDataHeader } from '../ingest/srt/srt-packet.ts';

const SECONDS = Number(process.argv[2] ?? 600);
const MBPS = 6;
const PAYLOAD = 1316;
const PACKETS_PER_SECOND = Math.round((MBPS * 1e6) / 8 / PAYLOAD);
const ISN = 0x7fffff00;

const run = (encrypted: boolean, lossEvery: number): { usPerPacket: number; delivered: number } => {
	const clock = { now: 0 };
	let delivered = 0;
	const salt = Buffer.alloc(16, 3);
	const key = Buffer.alloc(16, 5);
	const cipher = encrypted ? new PayloadCipher() : undefined;
	cipher?.setKeys(salt, key, undefined);
	const connection = new SrtConnection({
		socketId: 1,
		peerSocketId: 2,
		initialSeq: ISN,
		latencyMs: 120,
		peerTimestamp: 0,
		cipher,
		clock: () => clock.now,
		send: () => {},
		onPayload: () => {
			delivered++;
		},
		onClose: () => {},
	});
	const total = SECONDS * PACKETS_PER_SECOND;
	// A pool of datagrams rewritten in place: header writing is the only sender-side work in the timing.
	const pool = Array.from({ length: 1024 }, () => Buffer.alloc(HEADER_SIZE + PAYLOAD, 0x47));
	const interval = 1e6 / PACKETS_PER_SECOND;
	const started = process.cpuUsage();
	for (let i = 0; i < total; i++) {
		const d = pool[i % pool.length] as Buffer;
		const seq = seqAdd(ISN, i);
		const lost = lossEvery > 0 && i % lossEvery === 0;
		writeDataHeader(d, {
			seq,
			msgNo: (i % 0x3ffffff) + 1,
			keyFlag: encrypted ? 1 : 0,
			retransmitted: false,
			timestamp: Math.round(i * interval) % 0x100000000,
			destination: 1,
		});
		if (!lost) connection.receive(d);
		clock.now = i * interval;
		if (i % 10 === 0) connection.tick();
	}
	const used = process.cpuUsage(started);
	return { usPerPacket: (used.user + used.system) / total, delivered };
};

console.log(`SRT receive path, ${SECONDS} s of ${MBPS} Mb/s (${PACKETS_PER_SECOND} packets/s of ${PAYLOAD} B)`);
for (const [name, encrypted, lossEvery] of [
	['clear', false, 0],
	['AES-128', true, 0],
	['clear, 1 % loss (dropped at TSBPD)', false, 100],
] as const) {
	const r = run(encrypted, lossEvery);
	const packetsPerMbps = 1e6 / 8 / PAYLOAD;
	const percentPerMbps = (r.usPerPacket * packetsPerMbps) / 1e4;
	console.log(
		`${name.padEnd(36)} ${r.usPerPacket.toFixed(2)} µs/packet  ${percentPerMbps.toFixed(4)} % of a core per Mb/s`,
	);
}
