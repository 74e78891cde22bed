/**
 * The bus copies packets into reused arena chunks: these tests check that no consumer ever sees a
 * byte that differs from what the publisher pushed, whatever the mix of slow, flushed, closed and
 * overflowing subscribers, GOP cache resets and session restarts, and that the steady state
 * allocates no new chunk.
 */

import * as assert from 'uvu/assert';
import { LiveStream } from '../../src/bus/live-stream.ts';
import type { BusConsumer, Subscription, SubscriptionOptions } from '../../src/bus/subscription.ts';
import type { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { test } from '../helpers/suite.ts';

const key = { vhost: 'default', app: 'live', stream: 'arena' };
const video: Track = { id: 1, kind: 'video', codec: 'h264', timescale: 90_000, config: new Uint8Array(), name: 'v' };
const audio: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 48_000, config: new Uint8Array(), name: 'a' };

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** mulberry32: a small seeded PRNG, so a failure replays from its seed. */
const random = (seed: number) => {
	let state = seed >>> 0;
	return (): number => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
};

/** Byte `i` of packet `seq`'s payload: differs between neighbouring packets and along each payload. */
const patternByte = (seq: number, i: number): number => (seq * 131 + i * 7 + (i >> 8) + (seq >> 8)) & 0xff;

/**
 * A publisher that, like a demuxer, hands out views into one buffer it overwrites after each push.
 * Each packet's DTS is its sequence number; its payload is `patternByte(seq, i)`.
 */
class Producer {
	readonly lengths = new Map<number, number>();
	readonly #scratch = new Uint8Array(256 << 10);
	#seq = 0;

	push(stream: LiveStream, owner: object, trackId: number, keyframe: boolean, bytes: number): void {
		const seq = ++this.#seq;
		const length = Math.floor(bytes);
		const data = this.#scratch.subarray(0, length);
		for (let i = 0; i < length; i++) data[i] = patternByte(seq, i);
		this.lengths.set(seq, length);
		stream.push(owner, { trackId, dts: seq, pts: seq, duration: 0, keyframe, data });
		this.#scratch.fill(0xa5, 0, length);
	}
}

/** A subscriber that checks every payload byte for byte while it is being delivered, and keeps no view. */
class Checker implements BusConsumer {
	readonly received: number[] = [];
	readonly faults: string[] = [];
	subscription: Subscription | undefined;
	overflows = 0;
	#last = 0;

	constructor(
		readonly name: string,
		readonly producer: Producer,
		readonly options: SubscriptionOptions = {},
		/** Called from inside `onPacket`, after the check (a consumer closing or flushing itself). */
		readonly during?: (checker: Checker) => void,
	) {}

	subscribe(stream: LiveStream): void {
		this.#last = 0;
		this.subscription = stream.subscribe(this, this.options);
	}

	onTracks(): void {}
	onEnd(): void {}

	onPacket(packet: Packet): void {
		const seq = packet.dts;
		const length = this.producer.lengths.get(seq);
		if (seq <= this.#last) this.faults.push(`${this.name}: #${seq} after #${this.#last}`);
		this.#last = seq;
		if (packet.data.length !== length) {
			this.faults.push(`${this.name}: #${seq} has ${packet.data.length} bytes, pushed ${length}`);
		} else {
			for (let i = 0; i < length; i++) {
				if (packet.data[i] !== patternByte(seq, i)) {
					this.faults.push(`${this.name}: #${seq} byte ${i} is ${packet.data[i]}, pushed ${patternByte(seq, i)}`);
					break;
				}
			}
		}
		this.received.push(seq);
		this.during?.(this);
	}

	onError(_error: TapedeckError): void {
		this.overflows++;
	}
}

const randomRun = async (seed: number) => {
	const rand = random(seed);
	const chance = (p: number) => rand() < p;
	const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
	const chunkBytes = 8192;
	const stream = new LiveStream(
		key,
		() => {},
		{ maxPackets: 64, maxBytes: 96 << 10 },
		{ chunkBytes, maxSpareChunks: 32 },
	);
	const producer = new Producer();
	const steady = new Checker('steady', producer);
	const flushed = new Checker('flushed', producer);
	const closer = new Checker('closer', producer);
	const overflower = new Checker('overflower', producer, { capacity: 12, maxBytes: 24 << 10 });
	const quitter = new Checker('quitter', producer, {}, (self) => {
		if (chance(0.02)) self.subscription?.close();
	});
	const reentrant = new Checker('reentrant', producer, {}, (self) => {
		if (chance(0.1)) self.subscription?.flush();
	});
	const all = [steady, flushed, closer, overflower, quitter, reentrant];
	for (const checker of all) checker.subscribe(stream);

	let owner = {};
	const startSession = () => {
		owner = {};
		stream.begin(owner, 'test');
		stream.announce(owner, [video, audio]);
	};
	startSession();
	const pushed: number[] = [];
	let seq = 0;
	let framesLeftInGop = 0;
	let sessions = 1;
	let closes = 0;
	for (let step = 0; step < 300; step++) {
		const burst = chance(0.05) ? between(100, 250) : between(1, 30);
		for (let n = 0; n < burst; n++) {
			const isVideo = chance(0.7);
			let keyframe = false;
			let length: number;
			if (isVideo) {
				keyframe = framesLeftInGop <= 0;
				// Mostly short GOPs, sometimes one longer than the GOP cache keeps.
				if (keyframe) framesLeftInGop = chance(0.1) ? between(80, 120) : between(5, 40);
				framesLeftInGop--;
				length = keyframe ? between(2000, 7000) : between(100, 3000);
				if (chance(0.01)) length = between(chunkBytes + 1, 3 * chunkBytes); // oversize: a buffer of its own
			} else {
				length = between(0, 400);
			}
			producer.push(stream, owner, isVideo ? video.id : audio.id, keyframe, length);
			pushed.push(++seq);
			if (chance(0.05)) flushed.subscription?.flush();
		}
		if (chance(0.03) && !closer.subscription?.closed) {
			closer.subscription?.close();
			closes++;
		} else if (closer.subscription?.closed && chance(0.2)) {
			closer.subscribe(stream);
		}
		if (quitter.subscription?.closed && chance(0.3)) quitter.subscribe(stream);
		if (chance(0.03)) {
			stream.end(owner, 'restart');
			startSession();
			framesLeftInGop = 0;
			sessions++;
		}
		if (chance(0.7)) await tick();
		// The overflow error arrives in a microtask: resubscribe as the recorder does, from the GOP cache.
		if (overflower.subscription?.closed) overflower.subscribe(stream);
	}
	stream.end(owner, 'done');
	for (const checker of all) checker.subscription?.flush();
	await tick();

	for (const checker of all) assert.equal(checker.faults.slice(0, 5), [], `seed ${seed}`);
	assert.equal(steady.received, pushed, `seed ${seed}: the subscriber that keeps up got every packet, in order`);
	assert.ok(flushed.received.length === pushed.length, `seed ${seed}: flushing loses nothing`);
	assert.ok(overflower.overflows > 0, `seed ${seed}: the small ring overflowed`);
	assert.ok(closes > 0 && sessions > 1, `seed ${seed}: closes and session restarts happened`);
	const stats = stream.arenaStats;
	assert.ok(stats.oversizePackets > 0, `seed ${seed}: some payloads were oversize`);
	const totalBytes = [...producer.lengths.values()].reduce((a, b) => a + b, 0);
	assert.ok(
		stats.chunksAllocated * 2 < totalBytes / chunkBytes,
		`seed ${seed}: chunks were reused (${stats.chunksAllocated} allocated for ${totalBytes} bytes)`,
	);
	for (const checker of all) checker.subscription?.close();
	assert.is(stats.chunksHeld, 0, `seed ${seed}: every retain was released`);
};

for (const seed of [1, 2, 3, 0x5eed, 20_251_123]) {
	test(`random mix of subscribers, GOP resets and restarts: every payload arrives as pushed (seed ${seed})`, () =>
		randomRun(seed));
}

test('the steady state allocates no chunk: a live stream with a subscriber that keeps up', async () => {
	const stream = new LiveStream(key, () => {});
	const producer = new Producer();
	const consumer = new Checker('recorder', producer);
	consumer.subscribe(stream);
	const owner = {};
	stream.begin(owner, 'test');
	stream.announce(owner, [video, audio]);
	const rand = random(7);
	/** One 2-second GOP of a ~2.5 Mb/s stream (~0.6 MB): 50 video frames, 75 AAC frames, drained as it goes. */
	const gop = async () => {
		for (let frame = 0; frame < 50; frame++) {
			const keyframe = frame === 0;
			producer.push(stream, owner, video.id, keyframe, keyframe ? 60_000 + rand() * 20_000 : 5000 + rand() * 10_000);
			producer.push(stream, owner, audio.id, false, 300 + rand() * 100);
			if (frame % 2) producer.push(stream, owner, audio.id, false, 300 + rand() * 100);
			if (frame % 5 === 4) await tick();
		}
	};
	for (let i = 0; i < 10; i++) await gop();
	const warm = { ...stream.arenaStats };
	for (let i = 0; i < 60; i++) await gop();
	await tick();
	const after = stream.arenaStats;
	assert.equal(consumer.faults, []);
	assert.is(after.chunksAllocated, warm.chunksAllocated, 'no chunk allocated after the warm-up');
	assert.is(after.oversizePackets, 0);
	// The GOP cache holds up to ~0.6 MB (3 chunks of 256 KiB), plus the chunk being filled and one in between.
	assert.ok(warm.chunksAllocated <= 5, `the stream needs about a GOP of chunks, allocated ${warm.chunksAllocated}`);
	assert.is(stream.stats.packets, 70 * 50 * 2.5);
});

test('the steady state allocates no chunk with a subscriber that drains once per GOP', async () => {
	const stream = new LiveStream(key, () => {});
	const producer = new Producer();
	const consumer = new Checker('batch', producer);
	consumer.subscribe(stream);
	const owner = {};
	stream.begin(owner, 'test');
	stream.announce(owner, [video]);
	const allocatedAfter = (gops: number) => {
		for (let i = 0; i < gops; i++) {
			for (let frame = 0; frame < 30; frame++) producer.push(stream, owner, video.id, frame === 0, 20_000);
			consumer.subscription?.flush();
		}
		return stream.arenaStats.chunksAllocated;
	};
	const warm = allocatedAfter(5);
	assert.is(allocatedAfter(100), warm);
	assert.equal(consumer.faults, []);
	assert.is(consumer.received.length, 105 * 30);
});

test('a subscription closed with packets queued lets their chunks be reused', async () => {
	const stream = new LiveStream(key, () => {}, {}, { chunkBytes: 1024 });
	const producer = new Producer();
	const consumer = new Checker('closed', producer);
	consumer.subscribe(stream);
	const owner = {};
	stream.begin(owner, 'test');
	stream.announce(owner, [audio]);
	for (let i = 0; i < 20; i++) producer.push(stream, owner, audio.id, false, 500);
	assert.is(stream.arenaStats.chunksHeld, 10, 'the queued packets hold their chunks');
	consumer.subscription?.close();
	assert.is(stream.arenaStats.chunksHeld, 1, 'only the chunk being filled');
	await tick();
	assert.equal(consumer.received, []);
});

test('a subscriber whose onPacket throws is closed alone, hears why, and releases its packets', async () => {
	const stream = new LiveStream(key, () => {}, {}, { chunkBytes: 1024 });
	const owner = {};
	const errors: string[] = [];
	const subscription = stream.subscribe({
		onTracks() {},
		onPacket() {
			throw new Error('consumer bug');
		},
		onEnd() {},
		onError(error) {
			errors.push(error.message);
		},
	});
	const others: number[] = [];
	stream.subscribe({
		onTracks() {},
		onPacket(packet) {
			others.push(packet.dts);
		},
		onEnd() {},
		onError() {},
	});
	stream.begin(owner, 'test');
	stream.announce(owner, [audio]);
	stream.push(owner, { trackId: audio.id, dts: 0, pts: 0, duration: 0, keyframe: false, data: new Uint8Array(1024) });
	stream.push(owner, { trackId: audio.id, dts: 1, pts: 1, duration: 0, keyframe: false, data: new Uint8Array(10) });
	assert.is(stream.arenaStats.chunksHeld, 2);
	subscription.flush();
	assert.ok(subscription.closed, 'the throwing subscriber is detached');
	await new Promise((resolve) => setImmediate(resolve));
	assert.equal(errors, ['subscriber failed on a delivery: consumer bug']);
	assert.equal(others, [0, 1], 'the other subscriber gets everything');
	assert.ok(stream.arenaStats.chunksHeld <= 1, 'what the closed subscriber held went back');
});

test('warnings reach every subscriber that listens, in order with the packets', async () => {
	const stream = new LiveStream(key, () => {}, {}, { chunkBytes: 1024 });
	const owner = {};
	const seen: string[] = [];
	stream.subscribe({
		onTracks() {},
		onPacket(packet) {
			seen.push(`packet ${packet.dts}`);
		},
		onEnd() {},
		onError() {},
		onWarning(warning) {
			seen.push(`${warning.code}: ${warning.message}`);
		},
	});
	stream.begin(owner, 'test');
	stream.announce(owner, [audio]);
	stream.push(owner, { trackId: audio.id, dts: 0, pts: 0, duration: 0, keyframe: false, data: new Uint8Array(10) });
	stream.warn({}, { code: 'corrupt_data', message: 'not the owner' });
	stream.warn(owner, { code: 'dropped_data', message: 'PID 0x101: 3 TS packets lost' });
	stream.push(owner, { trackId: audio.id, dts: 1, pts: 1, duration: 0, keyframe: false, data: new Uint8Array(10) });
	await new Promise((resolve) => setImmediate(resolve));
	assert.equal(seen, ['packet 0', 'dropped_data: PID 0x101: 3 TS packets lost', 'packet 1']);
});

test('an ended session with a lagging subscriber keeps only what it has not consumed', async () => {
	const stream = new LiveStream(key, () => {}, {}, { chunkBytes: 1024 });
	const producer = new Producer();
	const consumer = new Checker('lagging', producer);
	consumer.subscribe(stream);
	const owner = {};
	stream.begin(owner, 'test');
	stream.announce(owner, [video]);
	for (let i = 0; i < 8; i++) producer.push(stream, owner, video.id, i % 4 === 0, 1000);
	stream.end(owner, 'gone');
	assert.is(stream.arenaStats.chunksHeld, 8, 'queued for the subscriber; the GOP cache and the arena let go');
	await tick();
	assert.equal(consumer.faults, []);
	assert.is(consumer.received.length, 8);
	assert.equal(
		{ ...stream.arenaStats, chunksAllocated: 0 },
		{
			chunksAllocated: 0,
			chunksHeld: 0,
			spareChunks: 0,
			oversizePackets: 0,
		},
	);
	consumer.subscription?.close();
});

test.run();
