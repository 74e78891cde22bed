/**
 * The SRT thread: payload batches crossing threads intact and reused, and recovery when the thread
 * dies under a live session (the session ends cleanly, the listener serves again, the caller calls
 * again).
 */

import * as assert from 'uvu/assert';
import { BATCH_BYTES, PayloadBatchWriter, readPayloadBatch } from '../../ingest/srt/payload-batch.ts';
import { SrtCaller } from '../../ingest/srt/srt-caller.ts';
import { terminateSrtThread } from '../../ingest/srt/srt-thread.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import {
	FakeHub,
	feedStdin,
	ffmpegPublisher,
	media,
	PayloadTap,
	paddedTs,
	RecordingPublisher,
	sltListener,
	startCapturingListener,
	waitFor,
} from './srt-kit.ts';

/** Payload `i`: its length and every byte derive from i, so a shifted or torn entry shows. */
const payloadOf = (i: number): Uint8Array => {
	const bytes = new Uint8Array(1 + ((i * 7919) % 1456));
	for (let k = 0; k < bytes.length; k++) bytes[k] = (i * 31 + k) & 0xff;
	return bytes;
};

test('batches: every payload comes out whole, in order, with its endpoint and socket id', () => {
	const writer = new PayloadBatchWriter();
	const handed: { buffer: ArrayBuffer; length: number }[] = [];
	const hand = (buffer: ArrayBuffer, length: number) => handed.push({ buffer, length });
	const count = 600; // ~430 KB: more than one batch buffer
	for (let i = 0; i < count; i++) writer.append(i % 3, 1000 + i, payloadOf(i), hand);
	writer.take(hand);
	assert.ok(writer.isEmpty);
	assert.ok(handed.length >= 2, `${handed.length} buffers`);
	let next = 0;
	for (const { buffer, length } of handed) {
		readPayloadBatch(buffer, length, (endpoint, socketId, payload) => {
			assert.is(endpoint, next % 3);
			assert.is(socketId, 1000 + next);
			assert.equal(payload, payloadOf(next));
			next++;
		});
	}
	assert.is(next, count);
});

test('batches: returned buffers are reused; a payload larger than a batch gets its own buffer', () => {
	const writer = new PayloadBatchWriter();
	const handed: ArrayBuffer[] = [];
	const hand = (buffer: ArrayBuffer) => handed.push(buffer);
	writer.append(1, 1, payloadOf(1), hand);
	writer.take(hand);
	const first = handed[0] as ArrayBuffer;
	writer.recycle(first);
	writer.append(1, 1, payloadOf(2), hand);
	writer.take(hand);
	assert.is(handed[1], first, 'the recycled buffer is filled again');

	const huge = new Uint8Array(BATCH_BYTES + 100).fill(7);
	writer.append(2, 2, huge, hand);
	writer.take(hand);
	const big = handed[2] as ArrayBuffer;
	assert.ok(big.byteLength > BATCH_BYTES);
	readPayloadBatch(big, big.byteLength, (_e, _s, payload) => assert.is(payload.length, huge.length));
	writer.recycle(big);
	writer.append(1, 1, payloadOf(3), hand);
	writer.take(hand);
	assert.is.not(handed[3], big, 'an odd-sized buffer is not kept for reuse');
	assert.is((handed[3] as ArrayBuffer).byteLength, BATCH_BYTES);
});

test('batches: a main thread that holds too much makes the writer shed payloads, until it returns buffers', () => {
	const writer = new PayloadBatchWriter(2 * BATCH_BYTES);
	const handed: ArrayBuffer[] = [];
	const hand = (buffer: ArrayBuffer) => handed.push(buffer);
	const payload = new Uint8Array(1316);
	let stored = 0;
	while (writer.append(1, 1, payload, hand)) stored++;
	assert.is(handed.length, 2, 'two full buffers handed over, none returned');
	assert.is(stored, 2 * Math.floor(BATCH_BYTES / (12 + 1316)), 'payloads up to the bound were kept');
	assert.not.ok(writer.append(1, 1, payload, hand), 'still shedding');
	writer.recycle(handed[0] as ArrayBuffer);
	assert.ok(writer.append(1, 1, payload, hand), 'a returned buffer makes room');
});

test('the SRT thread dies under a live session: the publisher ends with the reason, the listener serves again', async () => {
	const port = await freePort('udp');
	const hub = new FakeHub();
	const { listener, captures } = await startCapturingListener({ hub, port });
	const first = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&streamid=live/before`);
	let second: ReturnType<typeof ffmpegPublisher> | undefined;
	try {
		assert.ok(await waitFor(() => (captures.get('live/before')?.tap.length ?? 0) > 50_000, 5000), 'media flowing');
		await terminateSrtThread();
		assert.ok(await waitFor(() => hub.publishers.get('default/live/before')?.ended !== undefined, 3000));
		assert.match(hub.publishers.get('default/live/before')?.ended ?? '', /SRT thread failed/);
		assert.match(captures.get('live/before')?.final?.reason ?? '', /SRT thread failed/);
		assert.is(listener.sessions().length, 0);
		await first.stop();

		second = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&linger=2&streamid=live/after`);
		assert.is(await second.exited, 0, second.stderr);
		assert.ok(await waitFor(() => captures.get('live/after')?.final !== undefined, 3000), 'second session closed');
		assert.ok((captures.get('live/after')?.tap.length ?? 0) > 100_000, 'the listener on a new thread received media');
	} finally {
		await first.stop();
		await second?.stop();
		await listener.stop();
	}
});

test('the SRT thread dies while the auth hook decides: no publisher is left open, the stream can be published again', async () => {
	const port = await freePort('udp');
	let decide: (allowed: boolean) => void = () => {};
	class SlowHub extends FakeHub {
		waiting = 0;
		override async authorize(): Promise<boolean> {
			this.waiting++;
			return new Promise<boolean>((resolve) => {
				decide = resolve;
			});
		}
	}
	const hub = new SlowHub();
	const { listener, captures } = await startCapturingListener({ hub, port });
	const first = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&streamid=live/cam`);
	let second: ReturnType<typeof ffmpegPublisher> | undefined;
	try {
		assert.ok(await waitFor(() => hub.waiting === 1, 5000), 'the auth hook was asked');
		await terminateSrtThread();
		await first.stop();
		decide(true);
		assert.ok(await waitFor(() => listener.sessions().length === 0, 500));
		assert.is(hub.publishers.size, 0, 'the answer for the dead thread opened no publisher');

		hub.authorize = async () => true;
		second = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&linger=2&streamid=live/cam`);
		assert.is(await second.exited, 0, second.stderr);
		assert.ok(await waitFor(() => captures.get('live/cam')?.final !== undefined, 3000), 'published again');
		assert.ok((captures.get('live/cam')?.tap.length ?? 0) > 100_000);
	} finally {
		await first.stop();
		await second?.stop();
		await listener.stop();
	}
});

test('the SRT thread dies under a pulling caller: the target ends, the caller connects again on a new thread', async () => {
	const port = await freePort('udp');
	const bytes = paddedTs(media).subarray(0, 1316 * 100);
	const tap = new PayloadTap();
	const target = new RecordingPublisher();
	const caller = new SrtCaller({ url: `srt://127.0.0.1:${port}`, target, onPayload: tap.add, retryMinMs: 200 });
	let peer = await sltListener(port);
	try {
		await caller.start();
		assert.ok(await waitFor(() => caller.state === 'connected', 4000), caller.lastError);
		await terminateSrtThread();
		assert.ok(await waitFor(() => target.ended !== undefined, 3000), 'the target heard of it');
		assert.match(target.ended ?? '', /SRT thread failed/);
		assert.match(caller.lastError ?? '', /SRT thread failed/);
		// srt-live-transmit serves one caller: a fresh one stands in for the peer noticing the dead connection.
		await peer.stop();
		peer = await sltListener(port);
		assert.ok(await waitFor(() => caller.state === 'connected' && caller.connects === 2, 6000), caller.lastError);
		await feedStdin(peer, bytes);
		assert.ok(await waitFor(() => tap.length >= bytes.length, 3000), `${tap.length} of ${bytes.length} bytes`);
	} finally {
		await caller.stop();
		await peer.stop();
	}
});

test.run();
