/**
 * Our SRT caller pulling from libsrt listeners (srt-live-transmit, ffmpeg) on loopback: byte-exact
 * delivery into the target, media on the bus, reconnect with back-off.
 */

import * as assert from 'uvu/assert';
import { SrtCaller } from '../../ingest/srt/srt-caller.ts';
import { freePort, waitForUdpPort } from '../helpers/ports.ts';
import type { Peer } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import {
	feedStdin,
	ffmpegPublisher,
	ffmpegRemux,
	firstDifference,
	media,
	PayloadTap,
	paddedTs,
	RecordingPublisher,
	sltListener,
	waitFor,
} from './srt-kit.ts';

test('pulls from srt-live-transmit: byte-exact, latency is the larger side, reconnects after the peer restarts', async () => {
	const port = await freePort('udp');
	const bytes = paddedTs(media);
	const tap = new PayloadTap();
	const target = new RecordingPublisher();
	const caller = new SrtCaller({
		url: `srt://127.0.0.1:${port}?latency=120`,
		target,
		onPayload: tap.add,
		retryMinMs: 200,
	});
	let peer = await sltListener(port, '&latency=300');
	try {
		await caller.start();
		assert.ok(await waitFor(() => caller.state === 'connected', 4000), caller.lastError);
		assert.is(caller.stats()?.latencyMs, 300, 'HSRSP: the listener asks for 300 ms');
		await feedStdin(peer, bytes);
		assert.ok(await waitFor(() => tap.length >= bytes.length, 3000), `${tap.length} of ${bytes.length} bytes`);
		assert.is(firstDifference(tap.bytes(), bytes), -1, 'identical bytes');
		assert.equal(target.tracks.map((t) => t.codec).sort(), ['aac', 'h264']);

		await peer.stop();
		assert.ok(await waitFor(() => caller.state === 'waiting', 6000), `caller noticed (${caller.state})`);
		assert.ok(target.ended, 'the target ended with the connection');
		peer = await sltListener(port, '&latency=300');
		assert.ok(await waitFor(() => caller.state === 'connected', 6000), `reconnected (${caller.lastError})`);
		assert.is(caller.connects, 2);
		const before = tap.length;
		await feedStdin(peer, bytes.subarray(0, 1316 * 50));
		assert.ok(await waitFor(() => tap.length >= before + 1316 * 50, 3000), 'second connection delivers');
	} finally {
		await caller.stop();
		await peer.stop();
	}
});

test('pulls from an ffmpeg listener (mode=listener): byte-exact', async () => {
	const port = await freePort('udp');
	const sent = await ffmpegRemux(media);
	const tap = new PayloadTap();
	const target = new RecordingPublisher();
	const peer = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=listener&linger=2`);
	const caller = new SrtCaller({
		url: `srt://127.0.0.1:${port}`,
		target,
		onPayload: tap.add,
		retryMinMs: 200,
	});
	try {
		await waitForUdpPort(port);
		await caller.start();
		assert.is(await peer.exited, 0, peer.stderr);
		assert.ok(await waitFor(() => tap.length >= sent.length, 3000), `${tap.length} of ${sent.length} bytes`);
		assert.is(firstDifference(tap.bytes(), sent), -1, 'identical bytes');
		assert.ok(await waitFor(() => target.ended !== undefined, 3000), 'SHUTDOWN ends the target');
		assert.is(caller.connects, 1);
	} finally {
		await caller.stop();
		await peer.stop();
	}
});

test('no listener yet: the caller backs off and connects once one appears', async () => {
	const port = await freePort('udp');
	const caller = new SrtCaller({
		url: `srt://127.0.0.1:${port}?connect_timeout=300`,
		target: new RecordingPublisher(),
		retryMinMs: 100,
		retryMaxMs: 400,
	});
	let peer: Peer | undefined;
	try {
		await caller.start();
		assert.ok(await waitFor(() => caller.lastError !== undefined, 3000), 'a failed attempt');
		assert.is(caller.connects, 0);
		assert.match(caller.lastError ?? '', /no handshake answer|ECONNREFUSED/);
		peer = await sltListener(port, '&latency=300');
		assert.ok(await waitFor(() => caller.state === 'connected', 3000), caller.lastError);
	} finally {
		await caller.stop();
		await peer?.stop();
	}
});

test.run();
