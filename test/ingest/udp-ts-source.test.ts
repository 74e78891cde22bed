/** UDP MPEG-TS in: unicast, multicast on loopback, RTP-wrapped, sessions ended by silence, URL parsing. */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { isMulticast, parseUdpUrl, UdpTsSource } from '../../ingest/udp/udp-ts-source.ts';
import type { TapedeckError } from '../../src/core/errors.ts';
import { freePort } from '../helpers/ports.ts';
import { SessionCollector } from '../helpers/session-collector.ts';
import { test } from '../helpers/suite.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

/** Sends a TS file as 7-packet datagrams (as ffmpeg does), optionally wrapped in RTP, paced a little. */
const send = async (port: number, address: string, options: { rtp?: boolean; multicast?: boolean } = {}) => {
	const socket = createSocket('udp4');
	await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
	if (options.multicast) socket.setMulticastInterface('127.0.0.1');
	const bytes = readFileSync(fixture('h264-aac48'));
	let sequence = 0;
	for (let i = 0; i < bytes.length; i += 1316) {
		let datagram: Uint8Array = bytes.subarray(i, i + 1316);
		if (options.rtp) {
			const header = Buffer.alloc(12);
			header[0] = 0x80;
			header[1] = 33;
			header.writeUInt16BE(sequence++ & 0xffff, 2);
			datagram = Buffer.concat([header, datagram]);
		}
		await new Promise<void>((resolve) => socket.send(datagram, port, address, () => resolve()));
		if (i % (1316 * 20) === 0) await sleep(1);
	}
	socket.close();
};

test('unicast: tracks and packets arrive; silence ends the session; the next burst is a new session', async () => {
	const port = await freePort('udp');
	const target = new SessionCollector();
	const source = new UdpTsSource({ address: '127.0.0.1', port, idleTimeoutMs: 300 }, target);
	await source.start();
	try {
		await send(port, '127.0.0.1');
		assert.ok(await waitFor(() => target.ends.length === 1, 5000), 'silence ended the session');
		assert.equal(
			target.tracks.map((t) => t.codec),
			['h264', 'aac'],
		);
		assert.ok(target.packets > 250, `${target.packets} packets`);
		assert.equal(target.ends, ['no data for 300 ms']);
		await send(port, '127.0.0.1');
		assert.ok(await waitFor(() => target.ends.length === 2, 5000), 'the second session ended');
		assert.is(target.sessions, 2);
	} finally {
		await source.stop();
	}
});

test('RTP-wrapped TS (payload type 33) is unwrapped', async () => {
	const port = await freePort('udp');
	const target = new SessionCollector();
	const source = new UdpTsSource({ address: '127.0.0.1', port }, target);
	await source.start();
	try {
		await send(port, '127.0.0.1', { rtp: true });
		await waitFor(() => target.packets > 250, 5000);
		assert.ok(target.packets > 250);
		assert.is(source.droppedDatagrams, 0);
	} finally {
		await source.stop();
	}
	assert.equal(target.ends, ['input stopped']);
});

test('multicast: the group is joined on the given interface', async () => {
	const port = await freePort('udp');
	const target = new SessionCollector();
	const source = new UdpTsSource({ address: '239.255.20.1', port, interfaceAddress: '127.0.0.1' }, target);
	await source.start();
	try {
		await send(port, '239.255.20.1', { multicast: true });
		await waitFor(() => target.packets > 250, 5000);
		assert.ok(target.packets > 250, `${target.packets} packets`);
	} finally {
		await source.stop();
	}
});

test('a taken port is a clear error', async () => {
	const port = await freePort('udp');
	const a = new UdpTsSource({ address: '127.0.0.1', port }, new SessionCollector());
	const b = new UdpTsSource({ address: '127.0.0.1', port }, new SessionCollector());
	await a.start();
	try {
		await b.start().then(
			() => assert.unreachable('second bind succeeded'),
			(e: TapedeckError) => assert.match(e.message, `cannot listen on udp://127.0.0.1:${port}`),
		);
	} finally {
		await a.stop();
	}
});

test('udp:// URLs as ffmpeg and VLC write them', () => {
	assert.equal(parseUdpUrl('udp://127.0.0.1:5000'), { address: '127.0.0.1', port: 5000 });
	assert.equal(parseUdpUrl('udp://@:5000'), { address: '0.0.0.0', port: 5000 });
	assert.equal(parseUdpUrl('udp://@239.1.1.1:1234?localaddr=10.0.0.2&timeout=900'), {
		address: '239.1.1.1',
		port: 1234,
		interfaceAddress: '10.0.0.2',
		idleTimeoutMs: 900,
	});
	assert.throws(() => parseUdpUrl('udp://127.0.0.1'), /with a port/);
	assert.throws(() => parseUdpUrl('http://x:1'), /udp:/);
	assert.ok(isMulticast('239.0.0.1') && isMulticast('ff02::1') && !isMulticast('127.0.0.1'));
});

test.run();
