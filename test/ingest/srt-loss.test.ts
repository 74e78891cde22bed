/**
 * Loss recovery through our own lossy UDP relay (netem is unavailable here): random and burst loss
 * with reordering between a libsrt peer and us, in both directions of use; a gap longer than the
 * sender keeps packets; a peer that vanishes.
 */

import * as assert from 'uvu/assert';
import { SrtCaller } from '../../ingest/srt/srt-caller.ts';
import type { SrtStats } from '../../ingest/srt/srt-connection.ts';
import { SrtListener } from '../../ingest/srt/srt-listener.ts';
import { LossyUdpRelay, type LossyUdpRelayOptions } from '../helpers/lossy-udp-relay.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import {
	assertPulled,
	FakeHub,
	ffmpegPublisher,
	ffmpegRemux,
	firstDifference,
	media,
	PayloadTap,
	paddedTs,
	RecordingPublisher,
	sleep,
	sltListener,
	waitFor,
} from './srt-kit.ts';

const sent = await ffmpegRemux(media);
/** SRT data packets have the F bit (first bit) clear. */
const isData = (d: Buffer) => ((d[0] ?? 0) & 0x80) === 0;

/** 2 % random loss, a burst of 4 every 150 data packets, 2 % reordering. */
const lossy = (port: number, targetPort: number, seed: number): LossyUdpRelayOptions => ({
	port,
	targetPort,
	seed,
	dropRate: 0.02,
	burstEvery: 150,
	burstLength: 4,
	reorderRate: 0.02,
});

const listen = async (port: number) => {
	const tap = new PayloadTap();
	const finals: { stats: SrtStats; reason: string }[] = [];
	const listener = new SrtListener({
		hub: new FakeHub(),
		port,
		onPayload: (_s, p) => tap.add(p),
		onSessionClosed: (s, reason) => finals.push({ stats: s.stats(), reason }),
	});
	await listener.start();
	return { listener, tap, finals };
};

test('ffmpeg → lossy relay (random + burst loss, reordering) → listener: every byte in time, retransmissions counted', async () => {
	const port = await freePort('udp');
	const relayPort = await freePort('udp');
	const { listener, tap, finals } = await listen(port);
	const relay = new LossyUdpRelay({
		...lossy(relayPort, port, 11),
		applies: (d, dir) => dir === 'forward' && isData(d),
	});
	await relay.start();
	const peer = ffmpegPublisher(
		media,
		`srt://127.0.0.1:${relayPort}?mode=caller&latency=200000&linger=2&streamid=live/lossy`,
	);
	try {
		assert.is(await peer.exited, 0, peer.stderr);
		assert.ok(await waitFor(() => finals.length === 1, 3000));
		const stats = finals[0]?.stats;
		assert.ok(relay.stats.dropped >= 8 && relay.stats.reordered >= 2, JSON.stringify(relay.stats));
		assert.is(firstDifference(tap.bytes(), sent), -1, `${tap.length} of ${sent.length} bytes, identical`);
		assert.ok((stats?.packetsLost ?? 0) > 0, 'losses seen');
		assert.ok((stats?.packetsRetransmitted ?? 0) >= relay.stats.dropped, JSON.stringify(stats));
		assert.is(stats?.packetsDropped, 0, 'nothing given up: all recovered within the latency');
	} finally {
		await peer.stop();
		await relay.stop();
		await listener.stop();
	}
});

test('our caller ← lossy relay ← srt-live-transmit listener: byte-exact pull', async () => {
	const port = await freePort('udp');
	const relayPort = await freePort('udp');
	const bytes = paddedTs(media);
	const peer = await sltListener(port);
	const relay = new LossyUdpRelay({
		...lossy(relayPort, port, 23),
		applies: (d, dir) => dir === 'backward' && isData(d),
	});
	await relay.start();
	const tap = new PayloadTap();
	const caller = new SrtCaller({
		url: `srt://127.0.0.1:${relayPort}?latency=200`,
		target: new RecordingPublisher(),
		onPayload: tap.add,
	});
	try {
		await assertPulled(caller, tap, peer, bytes, 4000);
		const stats = caller.stats();
		assert.ok(relay.stats.dropped >= 5, JSON.stringify(relay.stats));
		assert.ok((stats?.packetsRetransmitted ?? 0) >= relay.stats.dropped, JSON.stringify(stats));
		assert.is(stats?.packetsDropped, 0);
	} finally {
		await caller.stop();
		await peer.stop();
		await relay.stop();
	}
});

test('a 1.5 s outage with 120 ms latency: the gap is dropped (DROPREQ / too late), the stream goes on', async () => {
	const port = await freePort('udp');
	const relayPort = await freePort('udp');
	const { listener, tap, finals } = await listen(port);
	const relay = new LossyUdpRelay({ port: relayPort, targetPort: port });
	await relay.start();
	const peer = ffmpegPublisher(media, `srt://127.0.0.1:${relayPort}?mode=caller&linger=2&streamid=live/outage`);
	try {
		assert.ok(await waitFor(() => tap.length > sent.length / 4, 5000), 'a quarter of the stream before the outage');
		relay.blackhole = true;
		await sleep(1500);
		relay.blackhole = false;
		assert.is(await peer.exited, 0, peer.stderr);
		assert.ok(await waitFor(() => finals.length === 1, 3000));
		assert.is(finals[0]?.reason, 'peer sent SHUTDOWN', 'one connection survived the outage');
		assert.ok((finals[0]?.stats.packetsDropped ?? 0) > 20, JSON.stringify(finals[0]?.stats));
		const got = tap.bytes();
		assert.ok(got.length < sent.length && got.length > sent.length / 3, `${got.length} of ${sent.length}`);
		const tail = 1316 * 40;
		assert.is(
			firstDifference(got.subarray(got.length - tail), sent.subarray(sent.length - tail)),
			-1,
			'the end arrived intact',
		);
	} finally {
		await peer.stop();
		await relay.stop();
		await listener.stop();
	}
});

test('a peer that vanishes is declared gone after the 5 s idle timeout', async () => {
	const port = await freePort('udp');
	const relayPort = await freePort('udp');
	const { listener, finals } = await listen(port);
	const relay = new LossyUdpRelay({ port: relayPort, targetPort: port });
	await relay.start();
	const peer = ffmpegPublisher(media, `srt://127.0.0.1:${relayPort}?mode=caller&streamid=live/vanish`);
	try {
		assert.ok(await waitFor(() => listener.sessions().length === 1, 3000));
		relay.blackhole = true;
		const t0 = Date.now();
		assert.ok(await waitFor(() => finals.length === 1, 7000));
		const waited = Date.now() - t0;
		assert.match(finals[0]?.reason ?? '', /idle timeout/);
		assert.ok(waited > 4500 && waited < 6500, `closed after ${waited} ms`);
	} finally {
		await peer.stop();
		await relay.stop();
		await listener.stop();
	}
});

test.run();
