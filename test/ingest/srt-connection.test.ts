/**
 * The receiving state machine driven by a synthetic in-process sender on a fake clock: sequence,
 * timestamp and message-number wraps, NAK contents, ACK points, TSBPD delivery, too-late drop,
 * DROPREQ, KM-less encryption checks and the flush-on-close tail policy.
 */

import * as assert from 'uvu/assert';
import { decodeLossList } from '../../ingest/srt/loss-list.ts';
import { PayloadCipher } from '../../ingest/srt/payload-cipher.ts';
import { seqAdd } from '../../ingest/srt/sequence.ts';
import { SrtConnection } from '../../ingest/srt/srt-connection.ts';
import {
	ControlType,
	controlInfo,
	controlType,
	encodeControl,
	HEADER_SIZE,
	readWord,
	writeDataHeader,
	writeWord,
} from '../../ingest/srt/srt-packet.ts';
import { test } from '../helpers/suite.ts';

const ISN = 0x7fffffff - 4; // wraps after 5 packets
const PEER_TS0 = 0xffffffff - 30_000; // peer clock wraps 30 ms in
const LATENCY_MS = 100;
const PACKET_US = 10_000; // one packet every 10 ms of sender time

type Harness = {
	conn: SrtConnection;
	sent: Buffer[];
	delivered: number[];
	closed: string[];
	clock: { now: number };
	/** Data packet number `i` (seq ISN + i, sent at PEER_TS0 + i·10 ms). */
	data(i: number, options?: { retransmitted?: boolean; keyFlag?: number; payload?: Buffer }): Buffer;
	controls(type: number): Buffer[];
};

const harness = (cipher?: PayloadCipher, bufferPackets?: number): Harness => {
	const clock = { now: 1_000_000 };
	const sent: Buffer[] = [];
	const delivered: number[] = [];
	const closed: string[] = [];
	const conn = new SrtConnection({
		socketId: 5,
		peerSocketId: 9,
		initialSeq: ISN,
		latencyMs: LATENCY_MS,
		peerTimestamp: PEER_TS0,
		cipher,
		bufferPackets,
		clock: () => clock.now,
		send: (d) => sent.push(Buffer.from(d)),
		onPayload: (p) => delivered.push(p[0] ?? -1),
		onClose: (r) => closed.push(r),
	});
	return {
		conn,
		sent,
		delivered,
		closed,
		clock,
		data: (i, o = {}) => {
			const payload = o.payload ?? Buffer.from([i, 0x47, 0x47, 0x47]);
			const d = Buffer.alloc(HEADER_SIZE + payload.length);
			writeDataHeader(d, {
				seq: seqAdd(ISN, i),
				msgNo: ((0x03ffffff - 2 + i) % 0x03ffffff) + 1,
				keyFlag: o.keyFlag ?? 0,
				retransmitted: o.retransmitted ?? false,
				timestamp: (PEER_TS0 + i * PACKET_US) % 0x100000000,
				destination: 5,
			});
			payload.copy(d, HEADER_SIZE);
			return d;
		},
		controls: (type) => sent.filter((d) => controlType(d) === type),
	};
};

/** Advances the fake clock in 5 ms ticks. */
const run = (h: Harness, us: number): void => {
	for (let t = 0; t < us; t += 5_000) {
		h.clock.now += 5_000;
		h.conn.tick();
	}
};

const lastAck = (h: Harness): number => {
	const acks = h.controls(ControlType.ack);
	const ack = acks.at(-1);
	assert.ok(ack, 'an ACK was sent');
	return readWord(ack, HEADER_SIZE);
};

test('a gap across the sequence wrap is NAKed once, recovered by retransmission, delivered in order', () => {
	const h = harness();
	for (const i of [0, 1, 2, 3, 4, 6, 7]) h.conn.receive(h.data(i));
	const naks = h.controls(ControlType.nak);
	assert.is(naks.length, 1);
	assert.equal(decodeLossList((naks[0] as Buffer).subarray(HEADER_SIZE)), [{ first: seqAdd(ISN, 5), last: 0 }]);
	assert.is(seqAdd(ISN, 5), 0, 'the lost packet is seq 0, right after 2^31−1');
	run(h, 15_000);
	assert.is(lastAck(h), 0, 'ACK point stops at the hole');
	h.conn.receive(h.data(5, { retransmitted: true }));
	run(h, 15_000);
	assert.is(lastAck(h), seqAdd(ISN, 8), 'ACK = one past the highest received, never beyond');
	assert.equal(h.delivered, [], 'nothing before its TSBPD time');
	run(h, LATENCY_MS * 1000 + 7 * PACKET_US);
	assert.equal(h.delivered, [0, 1, 2, 3, 4, 5, 6, 7]);
	const s = h.conn.stats();
	assert.is(s.packetsLost, 1);
	assert.is(s.packetsRetransmitted, 1);
	assert.is(s.packetsDropped, 0);
});

test('TSBPD: each packet waits latency + its sender offset, across the 32-bit timestamp wrap', () => {
	const h = harness();
	h.conn.receive(h.data(0));
	run(h, 95_000);
	assert.equal(h.delivered, []);
	run(h, 10_000);
	assert.equal(h.delivered, [0]);
	h.conn.receive(h.data(5)); // timestamp wrapped past 2^32; also a gap of 4
	run(h, 40_000);
	assert.equal(h.delivered, [0], 'packet 5 is due 50 ms after packet 0');
	run(h, 10_000);
	assert.equal(h.delivered, [0, 5], 'the hole is skipped once packet 5 is due');
	assert.is(h.conn.stats().packetsDropped, 4);
	assert.ok(lastAck(h) === seqAdd(ISN, 6), 'ACK moves past the dropped packets');
	h.conn.receive(h.data(3, { retransmitted: true }));
	assert.is(h.conn.stats().packetsBelated, 1);
});

test('periodic NAK repeats the loss list until the retransmission arrives', () => {
	const h = harness();
	h.conn.receive(h.data(0));
	h.clock.now += 5_000;
	h.conn.tick();
	h.clock.now += 2_000;
	h.conn.receive(encodeControl(ControlType.ackack, 0, controlInfo(h.controls(ControlType.ack).at(-1) as Buffer), 0, 5));
	assert.is(h.conn.stats().rttMs, 2, 'with a 2 ms RTT the NAK period is its 20 ms floor');
	h.conn.receive(h.data(4));
	run(h, 70_000);
	const naks = h.controls(ControlType.nak);
	assert.ok(naks.length >= 3, `NAK repeated (${naks.length})`);
	for (const n of naks)
		assert.equal(decodeLossList(n.subarray(HEADER_SIZE)), [{ first: seqAdd(ISN, 1), last: seqAdd(ISN, 3) }]);
	for (const i of [1, 2, 3]) h.conn.receive(h.data(i, { retransmitted: true }));
	const before = h.controls(ControlType.nak).length;
	run(h, 60_000);
	assert.is(h.controls(ControlType.nak).length, before, 'no NAK once nothing is missing');
});

test('ACKACK gives an RTT sample; unchanged acknowledged point is not re-sent every 10 ms', () => {
	const h = harness();
	h.conn.receive(h.data(0));
	h.clock.now += 5_000;
	h.conn.tick();
	const ack = h.controls(ControlType.ack).at(-1) as Buffer;
	h.clock.now += 3_000;
	h.conn.receive(encodeControl(ControlType.ackack, 0, controlInfo(ack), 0, 5));
	assert.is(h.conn.stats().rttMs, 3);
	const count = h.controls(ControlType.ack).length;
	run(h, 100_000);
	assert.is(h.controls(ControlType.ack).length, count);
});

test('DROPREQ abandons the range: no more NAKs, delivery skips it', () => {
	const h = harness();
	h.conn.receive(h.data(0));
	h.conn.receive(h.data(3));
	const cif = new Uint8Array(8);
	writeWord(cif, 0, seqAdd(ISN, 1));
	writeWord(cif, 4, seqAdd(ISN, 2));
	h.conn.receive(encodeControl(ControlType.dropreq, 0, 0, 0, 5, cif));
	run(h, 20_000);
	assert.is(lastAck(h), seqAdd(ISN, 4));
	const naks = h.controls(ControlType.nak).length;
	run(h, LATENCY_MS * 1000 + 40_000);
	assert.is(h.controls(ControlType.nak).length, naks);
	assert.equal(h.delivered, [0, 3]);
	assert.is(h.conn.stats().packetsDropped, 2);
});

test('encrypted link: cleartext or unknown-key packets are dropped, never delivered', () => {
	const cipher = new PayloadCipher();
	const salt = Buffer.alloc(16, 7);
	const key = Buffer.alloc(16, 9);
	cipher.setKeys(salt, key, undefined);
	const h = harness(cipher);
	const sender = new PayloadCipher();
	sender.setKeys(salt, key, undefined);
	const good = h.data(0, { keyFlag: 1 });
	sender.apply(good.subarray(HEADER_SIZE), seqAdd(ISN, 0), 1);
	h.conn.receive(good);
	h.conn.receive(h.data(1)); // cleartext
	h.conn.receive(h.data(2, { keyFlag: 2 })); // odd key never announced
	run(h, LATENCY_MS * 1000 + 30_000);
	assert.equal(h.delivered, [0]);
	assert.is(h.conn.stats().packetsUndecrypted, 2);
	assert.is(lastAck(h), seqAdd(ISN, 3));
});

test('SHUTDOWN flushes the latency buffer at once (tail policy); idle peer times out after 5 s', () => {
	const h = harness();
	for (let i = 0; i < 4; i++) h.conn.receive(h.data(i));
	h.conn.receive(encodeControl(ControlType.shutdown, 0, 0, 0, 5, new Uint8Array(4)));
	assert.equal(h.delivered, [0, 1, 2, 3]);
	assert.equal(h.closed, ['peer sent SHUTDOWN']);
	assert.is(h.controls(ControlType.shutdown).length, 0, 'no SHUTDOWN back to a peer that left');

	const idle = harness();
	run(idle, 4_900_000);
	assert.equal(idle.closed, []);
	assert.ok(idle.controls(ControlType.keepalive).length >= 4, 'keepalives about once a second');
	run(idle, 200_000);
	assert.is(idle.closed.length, 1);
	assert.match(idle.closed[0] ?? '', /idle/);
	assert.is(idle.controls(ControlType.shutdown).length, 1);
});

test('a jump beyond the receive buffer flushes what is buffered and carries on (no stall)', () => {
	const h = harness(undefined, 64);
	for (const i of [0, 1, 3]) h.conn.receive(h.data(i));
	h.conn.receive(h.data(100));
	assert.equal(h.delivered, [0, 1, 3], 'the older packets are handed over at once');
	run(h, 15_000);
	assert.is(lastAck(h), seqAdd(ISN, 101));
	h.conn.receive(h.data(101));
	run(h, 100 * PACKET_US + LATENCY_MS * 1000);
	assert.equal(h.delivered, [0, 1, 3, 100, 101]);
	assert.is(h.conn.stats().packetsDropped, 97, 'seq 2 and 4…99 given up');
});

test('garbage datagrams never throw', () => {
	const h = harness();
	let seed = 12345;
	const rand = () => {
		seed = (seed * 1103515245 + 12345) % 2147483648;
		return seed / 2147483648;
	};
	for (let n = 0; n < 2000; n++) {
		const d = Buffer.alloc(Math.floor(rand() * 80));
		for (let i = 0; i < d.length; i++) d[i] = Math.floor(rand() * 256);
		if (d.length >= 16) d.writeUInt32BE(5, 12);
		h.conn.receive(d);
		if (n % 50 === 0) run(h, 5_000);
	}
	assert.ok(true);
});

test.run();
