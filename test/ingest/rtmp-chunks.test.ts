/**
 * RTMP chunk streams, handshakes and the control layer, without sockets.
 */
import { createHmac } from 'node:crypto';
import * as assert from 'uvu/assert';
import { ChunkReader, type ChunkReaderOptions } from '../../ingest/rtmp/chunk-reader.ts';
import { ChunkWriter } from '../../ingest/rtmp/chunk-writer.ts';
import { ClientHandshake } from '../../ingest/rtmp/client-handshake.ts';
import {
	CLIENT_KEY,
	findDigest,
	HANDSHAKE_SIZE,
	makeSignedPacket,
	SERVER_KEY,
} from '../../ingest/rtmp/handshake-digest.ts';
import { RtmpConnection, type RtmpMessageHandler } from '../../ingest/rtmp/rtmp-connection.ts';
import { MessageType } from '../../ingest/rtmp/rtmp-message.ts';
import { ServerHandshake } from '../../ingest/rtmp/server-handshake.ts';
import { type AmfValue, encodeAmf0 } from '../../src/bytes/amf0.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { test } from '../helpers/suite.ts';

type Message = { type: number; streamId: number; timestamp: number; payload: number[] };

const reader = (options?: ChunkReaderOptions) => {
	const messages: Message[] = [];
	const r = new ChunkReader((type, streamId, timestamp, payload) => {
		messages.push({ type, streamId, timestamp, payload: [...payload] });
	}, options);
	return { r, messages };
};

const concat = (parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256);

/** Feeds `data` cut into pieces of the given sizes (cycled). */
const feed = (r: ChunkReader, data: Uint8Array, sizes: readonly number[]): void => {
	for (let at = 0, i = 0; at < data.length; i++) {
		const n = sizes[i % sizes.length]!;
		r.push(data.subarray(at, at + n));
		at += n;
	}
};

const expectCorrupt = (action: () => void, pattern: RegExp): void => {
	try {
		action();
		assert.unreachable('accepted');
	} catch (error) {
		assert.instance(error, TapedeckError);
		assert.is((error as TapedeckError).code, 'corrupt_input');
		assert.match((error as Error).message, pattern);
	}
};

test('writer → reader: any cut, chunk sizes, 1/2/3-byte chunk stream ids, extended timestamps', () => {
	const sent: Message[] = [];
	const out: Uint8Array[] = [];
	const writer = new ChunkWriter((b) => out.push(b.slice()));
	const cases: [number, number, number, number][] = [
		// chunk stream id, type, timestamp, length
		[3, 20, 0, 10],
		[4, 8, 1000, 300],
		[64, 9, 0xfffffe, 129],
		[319, 9, 0xffffff, 1000],
		[320, 8, 0x12345678, 5000],
		[65599, 18, 4294967295, 0],
	];
	for (const [i, [csid, type, timestamp, length]] of cases.entries()) {
		writer.chunkSize = i % 2 === 0 ? 128 : 4096;
		const payload = bytes(length, i);
		writer.write(csid, type, i + 1, timestamp, payload);
		sent.push({ type, streamId: i + 1, timestamp, payload: [...payload] });
	}
	const stream = concat(out);
	for (const sizes of [[stream.length], [1], [2, 3, 5, 7, 11], [17, 1], [4097]]) {
		// The reader learns each change of chunk size in band in real life; here it follows the writer's schedule.
		const { r, messages } = reader();
		let at = 0;
		for (const [i, part] of out.entries()) {
			r.setChunkSize(i % 2 === 0 ? 128 : 4096);
			feed(r, stream.subarray(at, at + part.length), sizes);
			at += part.length;
		}
		assert.equal(messages, sent, `cut into ${sizes.join('/')}`);
	}
});

test('fmt 1, 2 and 3 headers inherit fields and add timestamp deltas (§5.3.1.2)', () => {
	const { r, messages } = reader();
	const data = concat([
		// fmt 0, csid 4: ts 1000, length 3, type 8, stream 1
		Uint8Array.of(0x04, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x03, 0x08, 0x01, 0x00, 0x00, 0x00, 1, 2, 3),
		// fmt 2: delta 20
		Uint8Array.of(0x84, 0x00, 0x00, 0x14, 4, 5, 6),
		// fmt 3 starting a new message: same length, same delta
		Uint8Array.of(0xc4, 7, 8, 9),
		// fmt 1: delta 5, length 2, type 9
		Uint8Array.of(0x44, 0x00, 0x00, 0x05, 0x00, 0x00, 0x02, 0x09, 10, 11),
	]);
	feed(r, data, [1]);
	assert.equal(
		messages.map((m) => [m.type, m.streamId, m.timestamp, m.payload]),
		[
			[8, 1, 1000, [1, 2, 3]],
			[8, 1, 1020, [4, 5, 6]],
			[8, 1, 1040, [7, 8, 9]],
			[9, 1, 1045, [10, 11]],
		],
	);
});

test('extended timestamp deltas, and the 4 bytes repeated on fmt 3 continuation chunks', () => {
	const { r, messages } = reader();
	r.setChunkSize(2);
	const ext = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
	const data = Uint8Array.of(
		// fmt 0 csid 5, ts field 0xFFFFFF + extended 0x01000000, length 3, type 9, stream 1
		0x05,
		0xff,
		0xff,
		0xff,
		0,
		0,
		3,
		9,
		1,
		0,
		0,
		0,
		...ext(0x01000000),
		1,
		2,
		// continuation chunk: fmt 3 + the extended timestamp again
		0xc5,
		...ext(0x01000000),
		3,
		// new message by fmt 1 with an extended delta of 0x01000010
		0x45,
		0xff,
		0xff,
		0xff,
		0,
		0,
		1,
		9,
		...ext(0x01000010),
		4,
	);
	feed(r, data, [3]);
	assert.equal(
		messages.map((m) => [m.timestamp, m.payload]),
		[
			[0x01000000, [1, 2, 3]],
			[0x02000010, [4]],
		],
	);
});

test('interleaved chunk streams, Abort, and a new header mid-message drop only the cut message', () => {
	const { r, messages } = reader();
	r.setChunkSize(2);
	r.push(Uint8Array.of(0x04, 0, 0, 10, 0, 0, 4, 8, 1, 0, 0, 0, 1, 2)); // csid 4: first half of 4 bytes
	r.push(Uint8Array.of(0x06, 0, 0, 20, 0, 0, 2, 9, 1, 0, 0, 0, 7, 7)); // csid 6: a whole message in between
	r.push(Uint8Array.of(0xc4, 3, 4)); // csid 4: second half
	assert.equal(
		messages.map((m) => [m.type, m.timestamp, m.payload]),
		[
			[9, 20, [7, 7]],
			[8, 10, [1, 2, 3, 4]],
		],
	);
	r.push(Uint8Array.of(0x04, 0, 0, 30, 0, 0, 4, 8, 1, 0, 0, 0, 9, 9));
	r.abort(4);
	r.push(Uint8Array.of(0x04, 0, 0, 40, 0, 0, 2, 8, 1, 0, 0, 0, 5, 6));
	r.push(Uint8Array.of(0x04, 0, 0, 50, 0, 0, 4, 8, 1, 0, 0, 0, 1, 1)); // cut by …
	r.push(Uint8Array.of(0x04, 0, 0, 60, 0, 0, 2, 8, 1, 0, 0, 0, 2, 2)); // … a fmt 0 header
	assert.equal(
		messages.slice(2).map((m) => [m.timestamp, m.payload]),
		[
			[40, [5, 6]],
			[60, [2, 2]],
		],
	);
	assert.is(r.abortedMessages, 2);
});

test('limits: absurd lengths, bad chunk sizes, too many chunk streams, too many buffered bytes', () => {
	expectCorrupt(
		() => reader({ maxMessageBytes: 1000 }).r.push(Uint8Array.of(3, 0, 0, 0, 0, 0x03, 0xe9, 9, 0, 0, 0, 0)),
		/length 1001 exceeds/,
	);
	expectCorrupt(
		() => reader().r.push(Uint8Array.of(3, 0, 0, 0, 0xff, 0xff, 0xff, 9, 0, 0, 0, 0)),
		/length 16777215 exceeds/,
	);
	expectCorrupt(() => reader().r.setChunkSize(0), /chunk size 0/);
	expectCorrupt(() => reader().r.setChunkSize(0x80000000), /chunk size/);
	const { r } = reader({ maxChunkStreams: 4 });
	expectCorrupt(() => {
		for (let id = 2; id < 10; id++) r.push(Uint8Array.of(id, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0));
	}, /more than 4 chunk streams/);
	// Eight chunk streams each with a half-received 1 MB message: past a 4 MB budget.
	const big = reader({ maxBufferedBytes: 4 << 20 });
	big.r.setChunkSize(600_000);
	expectCorrupt(() => {
		for (let id = 2; id < 10; id++) {
			big.r.push(Uint8Array.of(id, 0, 0, 0, 0x10, 0, 0, 9, 0, 0, 0, 0));
			big.r.push(new Uint8Array(600_000));
		}
	}, /unfinished messages/);
});

test('plain handshake: S2 echoes C1; digest handshake: both schemas, S2 and C2 signed', () => {
	const replies: Uint8Array[] = [];
	const plain = new ServerHandshake((b) => replies.push(b));
	const c1 = bytes(HANDSHAKE_SIZE, 7);
	c1.fill(0, 4, 8); // version 0: a plain client
	assert.is(plain.push(Uint8Array.of(3, ...c1.subarray(0, 100))), undefined);
	assert.is(plain.push(c1.subarray(100)), undefined);
	const reply = replies[0]!;
	assert.is(reply.length, 1 + 2 * HANDSHAKE_SIZE);
	assert.equal([...reply.subarray(1 + HANDSHAKE_SIZE)], [...c1]);
	assert.not.ok(plain.digest);
	// C2 and the first chunk bytes in one read: the bytes after C2 come back.
	assert.equal([...plain.push(Uint8Array.of(...reply.subarray(1, 1 + HANDSHAKE_SIZE), 0x42))!], [0x42]);

	const hmac = (key: Uint8Array, data: Uint8Array) => createHmac('sha256', key).update(data).digest();
	for (const schema of [0, 1] as const) {
		const { packet, digest } = makeSignedPacket([9, 0, 124, 2], CLIENT_KEY.subarray(0, 30), schema);
		assert.equal(findDigest(packet, CLIENT_KEY.subarray(0, 30))?.schema, schema);
		const out: Uint8Array[] = [];
		const server = new ServerHandshake((b) => out.push(b));
		server.push(Uint8Array.of(3, ...packet));
		assert.ok(server.digest);
		const s1 = out[0]!.subarray(1, 1 + HANDSHAKE_SIZE);
		const s2 = out[0]!.subarray(1 + HANDSHAKE_SIZE);
		assert.equal(findDigest(s1, SERVER_KEY.subarray(0, 36))?.schema, schema, 'S1 signed at the client schema');
		// S2's last 32 bytes: HMAC(HMAC(full server key, client digest), rest of S2).
		const s2Key = hmac(SERVER_KEY, digest);
		assert.equal([...s2.subarray(HANDSHAKE_SIZE - 32)], [...hmac(s2Key, s2.subarray(0, HANDSHAKE_SIZE - 32))]);
	}

	// Our client against our server: both ends see a digest.
	const toServer: Uint8Array[] = [];
	const toClient: Uint8Array[] = [];
	const client = new ClientHandshake((b) => toServer.push(b));
	const server = new ServerHandshake((b) => toClient.push(b));
	client.start();
	server.push(toServer[0]!);
	assert.ok(client.push(toClient[0]!));
	assert.ok(client.digest && server.digest);
	assert.equal([...server.push(toServer[1]!)!], []);
});

/** Two connections wired back to back, recording what each side's owner sees. */
const pair = () => {
	const seen = { client: [] as AmfValue[][], server: [] as AmfValue[][], media: [] as number[][], ready: 0 };
	const handler = (side: 'client' | 'server'): RtmpMessageHandler => ({
		ready: () => seen.ready++,
		command: (_id, values) => seen[side].push(values),
		data: () => {},
		media: (type, streamId, timestamp, body) => seen.media.push([type, streamId, timestamp, body.length]),
		userControl: (event, value) => seen[side].push(['userControl', event, value]),
	});
	let client: RtmpConnection | undefined;
	let server: RtmpConnection | undefined;
	const wire = { toServer: 0, toClient: 0 };
	server = new RtmpConnection(
		'server',
		(b) => {
			wire.toClient += b.length;
			client!.push(b.slice());
		},
		handler('server'),
	);
	client = new RtmpConnection(
		'client',
		(b) => {
			wire.toServer += b.length;
			server!.push(b.slice());
		},
		handler('client'),
	);
	return { client, server, seen, wire };
};

test('connections: handshake, commands, chunk size change, ping, acknowledgements every window', () => {
	const { client, server, seen, wire } = pair();
	client.start();
	assert.is(seen.ready, 2);
	client.command(0, 'connect', 1, { app: 'live' });
	assert.equal(seen.server, [['connect', 1, { app: 'live' }]]);
	server.setChunkSize(4096);
	server.command(0, '_result', 1, null, 'x'.repeat(3000));
	assert.equal(seen.client[0], ['_result', 1, null, 'x'.repeat(3000)]);
	// Ping request from the server: the client answers, the server owner does not see it.
	server.userControl(6, 1234);
	assert.is(seen.server.length, 1);
	server.userControl(0, 1);
	assert.equal(seen.client[1], ['userControl', 0, 1]);
	// A 1000-byte window: the server must acknowledge as the client sends.
	client.windowAckSize(1000);
	const before = wire.toClient;
	for (let i = 0; i < 10; i++) client.command(1, 'filler', 0, null, 'y'.repeat(400));
	const acks = Math.floor((wire.toClient - before) / 16); // each acknowledgement: 12-byte header + 4-byte sequence
	assert.ok(acks >= 3 && wire.toClient - before === acks * 16, `${acks} acknowledgements`);
});

test('aggregate messages are split into their sub-messages with shifted timestamps', () => {
	const { client, server, seen } = pair();
	client.start();
	const sub = (type: number, ts: number, size: number) => {
		const tag = new Uint8Array(11 + size + 4);
		tag[0] = type;
		tag[3] = size;
		tag[6] = ts;
		return tag;
	};
	const payload = concat([sub(9, 100, 5), sub(8, 110, 3), sub(9, 140, 7)]);
	const writer = new ChunkWriter((b) => server.push(b));
	writer.write(6, MessageType.aggregate, 1, 5000, payload);
	assert.equal(seen.media, [
		[9, 1, 5000, 5],
		[8, 1, 5010, 3],
		[9, 1, 5040, 7],
	]);
	expectCorrupt(() => writer.write(6, MessageType.aggregate, 1, 0, sub(9, 0, 5).subarray(0, 12)), /overruns/);
});

test('AMF3 command messages (type 17) skip their format byte', () => {
	const { client, server, seen } = pair();
	client.start();
	const body = concat([Uint8Array.of(0), encodeAmf0('createStream', 2, null)]);
	new ChunkWriter((b) => server.push(b)).write(3, MessageType.commandAmf3, 0, 0, body);
	assert.equal(seen.server, [['createStream', 2, null]]);
});

test.run();
