/**
 * Real publishers (ffmpeg with libsrt 1.5.1, srt-live-transmit) pushing to our SRT listener on
 * loopback: byte-exact delivery, stream-id routing, several callers on one port, rejections, fuzz.
 */
import { createSocket } from 'node:dgram';
import * as assert from 'uvu/assert';
import { SinglePublisherHub } from '../../ingest/single-publisher-hub.ts';
import { decodeHandshake, encodeHandshake, encodeStringExtension, HandshakeType } from '../../ingest/srt/handshake.ts';
import { SrtListener } from '../../ingest/srt/srt-listener.ts';
import { encodeControl } from '../../ingest/srt/srt-packet.ts';
import { freePort } from '../helpers/ports.ts';
import { Peer } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import {
	FakeHub,
	failedCallerAttempt,
	feedStdin,
	ffmpegPublisher,
	ffmpegRemux,
	firstDifference,
	media,
	PayloadTap,
	paddedTs,
	RecordingPublisher,
	sleep,
	startCapturingListener,
	waitFor,
} from './srt-kit.ts';

const sent = await ffmpegRemux(media);

const startListener = (port: number, hub: FakeHub) => startCapturingListener({ hub, port });

const assertSameBytes = (got: Uint8Array | undefined, expected: Uint8Array, what: string) => {
	assert.ok(got, `${what}: nothing delivered`);
	const at = firstDifference(got, expected);
	assert.is(at, -1, `${what}: ${got.length} of ${expected.length} bytes, first difference at ${at}`);
};

const assertMedia = (publisher: RecordingPublisher | undefined) => {
	assert.ok(publisher, 'a publisher was created');
	assert.ok(publisher.ended, 'the publisher ended with the connection');
	assert.equal(publisher.tracks.map((t) => t.codec).sort(), ['aac', 'h264']);
	assert.ok(publisher.packets.length > 200, `${publisher.packets.length} packets reached the bus`);
};

test('ffmpeg caller → listener: byte-exact TS, stream id routed, latency negotiated', async () => {
	const port = await freePort('udp');
	const hub = new FakeHub();
	const { listener, captures } = await startListener(port, hub);
	const peer = ffmpegPublisher(
		media,
		`srt://127.0.0.1:${port}?mode=caller&latency=200000&linger=2&streamid=#!::r=live/cam1,m=publish`,
	);
	try {
		assert.is(await peer.exited, 0, peer.stderr);
		assert.ok(
			await waitFor(() => captures.get('live/cam1')?.final !== undefined, 3000),
			'session closed after the publisher left',
		);
		assertSameBytes(captures.get('live/cam1')?.tap.bytes(), sent, 'ffmpeg');
		const final = captures.get('live/cam1')?.final;
		assert.is(final?.reason, 'peer sent SHUTDOWN');
		assert.is(final?.stats.latencyMs, 200);
		assert.is(final?.stats.packetsDropped, 0);
		assert.ok((final?.stats.rttMs ?? 100) < 50, 'RTT measured from ACKACKs');
		assert.equal(hub.requests[0]?.credentials.streamid, '#!::r=live/cam1,m=publish');
		assertMedia(hub.publishers.get('default/live/cam1'));
	} finally {
		await peer.stop();
		await listener.stop();
	}
});

test('srt-live-transmit caller (stdin) → listener with a plain stream id: byte-exact', async () => {
	const port = await freePort('udp');
	const hub = new FakeHub();
	const { listener, captures } = await startListener(port, hub);
	const bytes = paddedTs(media);
	const peer = new Peer(
		'srt-live-transmit',
		['-q', '-chunk:1316', 'file://con', `srt://127.0.0.1:${port}?streamid=show/slt`],
		{
			stdin: true,
		},
	);
	try {
		assert.ok(await waitFor(() => listener.sessions().length === 1, 3000), 'connected');
		await feedStdin(peer, bytes);
		assert.ok(
			await waitFor(() => (captures.get('show/slt')?.tap.length ?? 0) >= bytes.length, 3000),
			'all bytes delivered',
		);
		assertSameBytes(captures.get('show/slt')?.tap.bytes(), bytes, 'srt-live-transmit');
		await peer.stop();
		assert.ok(await waitFor(() => captures.get('show/slt')?.final !== undefined, 3000), 'session ended with the peer');
		assertMedia(hub.publishers.get('default/show/slt'));
	} finally {
		await peer.stop();
		await listener.stop();
	}
});

test('three callers at once on one port, each routed by its stream id', async () => {
	const port = await freePort('udp');
	const hub = new FakeHub();
	const { listener, captures } = await startListener(port, hub);
	const ids = ['a/one', '#!::r=b/two', '#!::r=c/three,m=publish'];
	const peers = ids.map((sid) =>
		ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&linger=2&streamid=${sid}`),
	);
	try {
		assert.ok(await waitFor(() => listener.sessions().length === 3, 3000), 'three sessions');
		assert.is(new Set(listener.sessions().map((s) => s.socketId)).size, 3);
		for (const peer of peers) assert.is(await peer.exited, 0, peer.stderr);
		const names = ['a/one', 'b/two', 'c/three'];
		assert.ok(await waitFor(() => names.every((name) => captures.get(name)?.final !== undefined), 3000));
		assert.is(captures.size, 3);
		for (const name of names) {
			assertSameBytes(captures.get(name)?.tap.bytes(), sent, name);
			assertMedia(hub.publishers.get(`default/${name}`));
		}
	} finally {
		for (const peer of peers) await peer.stop();
		await listener.stop();
	}
});

test('rejections: stream already live (2409), mode=request (2405), auth hook says no (2401), bad stream id (2400)', async () => {
	const port = await freePort('udp');
	const hub = new FakeHub((r) => r.key.stream !== 'denied');
	const { listener } = await startListener(port, hub);
	const live = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&streamid=live/busy`);
	const attempt = (streamId: string) =>
		failedCallerAttempt(`srt://127.0.0.1:${port}?streamid=${encodeURIComponent(streamId)}`);
	try {
		assert.ok(await waitFor(() => listener.sessions().length === 1, 3000));
		assert.match((await attempt('live/busy')) ?? '', /rejected by the listener: 2409/);
		assert.match((await attempt('#!::r=live/x,m=request')) ?? '', /: 2405/);
		assert.match((await attempt('live/denied')) ?? '', /: 2401/);
		assert.match((await attempt('#!::nonsense')) ?? '', /: 2400/);
		const rejected = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&streamid=live/busy`);
		assert.is.not(await rejected.exited, 0, 'ffmpeg fails on a rejected handshake');
		assert.is(listener.sessions().length, 1, 'no state kept for rejected callers');
	} finally {
		await live.stop();
		await listener.stop();
	}
});

test('a per-recording port (INPUT_TYPE_SRT_LISTEN) publishes any stream id into its one target, one caller at a time', async () => {
	const port = await freePort('udp');
	const target = new RecordingPublisher();
	const tap = new PayloadTap();
	const listener = new SrtListener({
		hub: new SinglePublisherHub(target),
		port,
		defaultStream: 'rec1',
		onPayload: (_s, p) => tap.add(p),
	});
	await listener.start();
	const peer = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&linger=2&streamid=whatever/name`);
	try {
		assert.ok(await waitFor(() => listener.sessions().length === 1, 3000));
		assert.match((await failedCallerAttempt(`srt://127.0.0.1:${port}`)) ?? '', /2409/);
		assert.is(await peer.exited, 0, peer.stderr);
		assert.ok(await waitFor(() => target.ended !== undefined, 3000));
		assertSameBytes(tap.bytes(), sent, 'single-target port');
	} finally {
		await peer.stop();
		await listener.stop();
	}
});

test('fuzzed datagrams (random, truncated, absurd handshakes) never crash the listener', async () => {
	const port = await freePort('udp');
	const hub = new FakeHub();
	const { listener, captures } = await startListener(port, hub);
	const socket = createSocket('udp4');
	await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
	const send = (d: Uint8Array) => new Promise<void>((resolve) => socket.send(d, port, '127.0.0.1', () => resolve()));
	let seed = 7;
	const rand = (n: number) => {
		seed = (seed * 1103515245 + 12345) % 2147483648;
		return Math.floor((seed / 2147483648) * n);
	};
	const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rand(256)));
	const inductionReply = new Promise<Buffer>((resolve) => socket.once('message', (m) => resolve(m)));
	try {
		for (let i = 0; i < 1500; i++) {
			const d = randomBytes(rand(1600));
			if (i % 3 === 0 && d.length >= 16) d.writeUInt32BE(0, 12); // to the handshake path
			if (i % 6 === 0 && d.length >= 4) d.writeUInt32BE(0x80000000, 0); // as a handshake control packet
			await send(d);
		}
		// A real induction, then conclusions with a valid cookie and garbage or absurd extensions.
		const base = {
			version: 4,
			encryption: 0,
			extensionField: 2,
			initialSeq: 1000,
			mtu: 1500,
			flowWindow: 8192,
			type: HandshakeType.induction,
			socketId: 4242,
			cookie: 0,
			peerIp: new Uint8Array(16),
			extensions: [],
		};
		await send(encodeControl(0, 0, 0, 0, 0, encodeHandshake(base)));
		const cookie = decodeHandshake(await inductionReply)?.cookie ?? 0;
		for (let i = 0; i < 300; i++) {
			const extensions = [
				{ type: 1 + rand(8), data: randomBytes(4 * rand(6)) },
				{ type: 5, data: i % 2 ? encodeStringExtension('live/fuzz') : randomBytes(4 * rand(130)) },
				{ type: 3, data: randomBytes(4 * rand(20)) },
			];
			const hs = { ...base, version: 5, type: HandshakeType.conclusion, cookie, socketId: 5000 + i, extensions };
			const body = Buffer.from(encodeHandshake(hs));
			if (i % 5 === 0) body.writeUInt16BE(0xffff, 50); // absurd extension length
			await send(encodeControl(0, 0, 0, 0, 0, i % 7 === 0 ? body.subarray(0, rand(body.length)) : body));
		}
		await sleep(200);
		const peer = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&linger=2&streamid=live/after-fuzz`);
		assert.is(await peer.exited, 0, peer.stderr);
		assert.ok(await waitFor(() => captures.get('live/after-fuzz')?.final !== undefined, 3000));
		assertSameBytes(captures.get('live/after-fuzz')?.tap.bytes(), sent, 'publisher after the fuzz');
	} finally {
		socket.close();
		await listener.stop();
	}
});

test.run();
