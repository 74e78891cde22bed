/**
 * Hostile and broken RTMP input: a real ffmpeg chunk stream, captured through a proxy, cut at
 * random places (same messages out) and mutated (only TapedeckErrors, bounded memory), then
 * thrown at the listener over sockets, which must keep serving.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { HANDSHAKE_SIZE } from '../../ingest/rtmp/handshake-digest.ts';
import { RtmpConnection, type RtmpMessageHandler } from '../../ingest/rtmp/rtmp-connection.ts';
import { RtmpListener } from '../../ingest/rtmp/rtmp-listener.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { StreamKey } from '../../src/core/stream-hub.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { test } from '../helpers/suite.ts';
import { Collector, capturingProxy, ffmpegPush, sleep, waitFor } from './rtmp-kit.ts';

/** A deterministic generator, so a failure can be replayed. */
const random = (seed: number) => () => {
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return seed / 2147483648;
};

/** What a publisher's ffmpeg sends, recorded by a proxy in front of a real listener (client → server bytes). */
const captureFfmpeg = async (): Promise<Uint8Array> => {
	const listener = new RtmpListener({ port: 0, hub: new StreamRegistry() });
	await listener.start();
	const proxy = await capturingProxy(listener.port);
	try {
		const ffmpeg = ffmpegPush(
			fixture('h264-aac48'),
			['-t', '2', '-f', 'flv', `rtmp://127.0.0.1:${proxy.port}/app/fuzz`],
			false,
		);
		assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	} finally {
		await proxy.close();
		await listener.stop();
	}
	return new Uint8Array(Buffer.concat(proxy.captured));
};

let capture: Uint8Array;

/** Feeds bytes to a server-side connection in pieces; returns a digest of every message seen. */
const replay = (bytes: Uint8Array, cuts: () => number): { digest: string; messages: number } => {
	const hash = createHash('md5');
	let messages = 0;
	const note = (...parts: (string | number)[]) => {
		messages++;
		hash.update(parts.join(','));
	};
	const handler: RtmpMessageHandler = {
		ready: () => {},
		command: (id, values) => note('c', id, JSON.stringify(values)),
		data: (id, ts, body) => note('d', id, ts, createHash('md5').update(body).digest('hex')),
		media: (type, id, ts, body) => note('m', type, id, ts, createHash('md5').update(body).digest('hex')),
		userControl: (event, value) => note('u', event, value),
	};
	const connection = new RtmpConnection('server', () => {}, handler);
	for (let at = 0; at < bytes.length; ) {
		const n = cuts();
		connection.push(bytes.subarray(at, at + n));
		at += n;
	}
	return { digest: hash.digest('hex'), messages };
};

test('a real ffmpeg chunk stream gives the same messages however it is cut', async () => {
	capture = await captureFfmpeg();
	const whole = replay(capture, () => capture.length);
	assert.ok(whole.messages > 100, `${whole.messages} messages`);
	for (const seed of [1, 2, 3]) {
		const next = random(seed);
		const small = seed === 1;
		const cut = replay(capture, () => 1 + Math.floor(next() * (small ? 20 : 9000)));
		assert.equal(cut, whole, `cuts with seed ${seed}`);
	}
});

test('mutated chunk streams only ever raise TapedeckError, and stay within the buffer budget', () => {
	const next = random(42);
	const start = 1 + 2 * HANDSHAKE_SIZE;
	const body = capture.subarray(0, Math.min(capture.length, start + 48_000));
	let refused = 0;
	for (let round = 0; round < 400; round++) {
		const bytes = body.slice();
		const kind = round % 4;
		const edits = 1 + Math.floor(next() * 8);
		for (let e = 0; e < edits; e++) {
			const at = start + Math.floor(next() * (bytes.length - start - 8));
			if (kind === 0)
				bytes[at] = Math.floor(next() * 256); // random byte
			else if (kind === 1)
				bytes.fill(0xff, at, at + 3); // absurd lengths / extended timestamps
			else if (kind === 2)
				bytes.set([0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, next() < 0.5 ? 0 : 1], at); // Set Chunk Size 0 or 1
			else bytes.copyWithin(at, start + Math.floor(next() * 1000), bytes.length); // a cut and splice
		}
		try {
			replay(bytes, () => 1 + Math.floor(next() * 3000));
		} catch (error) {
			if (!(error instanceof TapedeckError)) throw error;
			refused++;
		}
	}
	assert.ok(refused > 50, `${refused} of 400 refused`);
});

/** Opens a socket, writes `bytes`, resolves when the server closes it (or after `ms`). */
const throwAt = (port: number, bytes: Uint8Array, ms: number): Promise<'closed' | 'open'> =>
	new Promise((resolve) => {
		const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
		const timer = setTimeout(() => {
			socket.destroy();
			resolve('open');
		}, ms);
		socket.on('error', () => {});
		socket.on('close', () => {
			clearTimeout(timer);
			resolve('closed');
		});
		socket.resume();
	});

test('the listener survives garbage, absurd lengths and buffer floods, then still takes a publisher', async () => {
	const registry = new StreamRegistry();
	const log: string[] = [];
	const listener = new RtmpListener({
		port: 0,
		hub: registry,
		idleTimeoutMs: 1000,
		limits: { maxBufferedBytes: 8 << 20, maxMessageBytes: 4 << 20 },
		logger: linesLogger(log),
	});
	await listener.start();
	const port = listener.port;
	const rssBefore = process.memoryUsage().rss;
	const next = random(7);
	try {
		// C0 + C1 + C2 as ffmpeg sent them: what follows is read as chunks.
		const header = capture.subarray(0, 1 + 2 * HANDSHAKE_SIZE);
		// A message header claiming 16 MB: refused at the header.
		const huge = Uint8Array.from([...header, 0x06, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]);
		assert.is(await throwAt(port, huge, 3000), 'closed');
		assert.match(log.at(-1)!, /message length 16777215 exceeds the limit/);
		// Not RTMP at all.
		assert.is(await throwAt(port, new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'.repeat(200)), 3000), 'closed');
		assert.match(log.at(-1)!, /C0 version 71/);
		// Flood: many chunk streams each opening a 4 MB message, trickled in 1 MB chunks.
		const flood: Uint8Array[] = [header, Uint8Array.of(0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0x10, 0, 0)];
		for (let id = 4; id < 20; id++) {
			flood.push(Uint8Array.of(id, 0, 0, 0, 0x3f, 0xff, 0xff, 9, 1, 0, 0, 0), new Uint8Array(1 << 20));
		}
		assert.is(await throwAt(port, Buffer.concat(flood), 5000), 'closed');
		assert.match(log.at(-1)!, /unfinished messages would hold more than 8388608 bytes/);
		// Mutated ffmpeg sessions, a few at a time.
		const results: Promise<unknown>[] = [];
		for (let round = 0; round < 24; round++) {
			const bytes = capture.slice(0, 1 + 2 * HANDSHAKE_SIZE + 30_000);
			for (let e = 0; e < 4; e++)
				bytes[1 + 2 * HANDSHAKE_SIZE + Math.floor(next() * 30_000)] = Math.floor(next() * 256);
			results.push(throwAt(port, bytes, 2500));
			if (results.length === 6) await Promise.all(results.splice(0));
		}
		await Promise.all(results);
		await waitFor(() => listener.connections.length === 0, 3000, 'every fuzz connection closed');
		const grown = (process.memoryUsage().rss - rssBefore) / 1048576;
		assert.ok(grown < 150, `RSS grew ${grown.toFixed(0)} MB`);

		const key: StreamKey = { vhost: 'default', app: 'app', stream: 'after' };
		const collector = new Collector();
		registry.subscribe(key, collector);
		const ffmpeg = ffmpegPush(fixture('h264-aac48'), ['-f', 'flv', `rtmp://127.0.0.1:${port}/app/after`], false);
		assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
		await waitFor(() => collector.ends.length === 1, 5000, 'the good publisher');
		assert.ok(collector.packets.length > 250);
	} finally {
		await listener.stop();
		await sleep(10);
	}
});

test.run();
