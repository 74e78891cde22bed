import * as assert from 'uvu/assert';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import type { BusConsumer } from '../../src/bus/subscription.ts';
import type { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { test } from '../helpers/suite.ts';

const key = { vhost: 'default', app: 'live', stream: 'cam' };
const video: Track = {
	id: 1,
	kind: 'video',
	codec: 'h264',
	timescale: 90_000,
	config: new Uint8Array(),
	name: 'video',
};
const audio: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 48_000, config: new Uint8Array(), name: 'audio' };

const packet = (trackId: number, dts: number, keyframe = false, fill = 0): Packet => ({
	trackId,
	dts,
	pts: dts,
	duration: 0,
	keyframe,
	data: new Uint8Array([fill, 1, 2, 3]),
});

/** Records what a subscriber receives, in order. */
class Collector implements BusConsumer {
	events: string[] = [];
	packets: Packet[] = [];
	errors: TapedeckError[] = [];
	onTracks(tracks: readonly Track[]): void {
		this.events.push(`tracks:${tracks.map((t) => t.id).join(',')}`);
	}
	/** Keeps a copy: the bus reuses payload memory once `onPacket` returns. */
	onPacket(p: Packet): void {
		this.packets.push({ ...p, data: p.data.slice() });
		this.events.push(`p${p.trackId}@${p.dts}${p.keyframe ? 'K' : ''}`);
	}
	onEnd(reason: string): void {
		this.events.push(`end:${reason}`);
	}
	onError(error: TapedeckError): void {
		this.errors.push(error);
	}
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('a subscriber joining mid-stream starts at the cached keyframe', async () => {
	const registry = new StreamRegistry();
	const publisher = registry.publish(key, 'test');
	publisher.announce([video, audio]);
	publisher.push(packet(1, 0, true));
	publisher.push(packet(2, 0));
	publisher.push(packet(1, 3600));
	publisher.push(packet(1, 7200, true));
	publisher.push(packet(2, 4000));
	const late = new Collector();
	registry.subscribe(key, late);
	publisher.push(packet(1, 10800));
	await tick();
	assert.equal(late.events, ['tracks:1,2', 'p1@7200K', 'p2@4000', 'p1@10800']);
});

test('payloads are copied once: a publisher reusing its buffer does not corrupt queued packets', async () => {
	const registry = new StreamRegistry();
	const c = new Collector();
	registry.subscribe(key, c);
	const publisher = registry.publish(key, 'test');
	publisher.announce([video]);
	const reused = new Uint8Array([7, 7]);
	publisher.push({ ...packet(1, 0, true), data: reused });
	reused.fill(9);
	await tick();
	assert.equal([...(c.packets[0]?.data ?? [])], [7, 7]);
});

test('a reservation waits for the stream, gets each session and an end between them', async () => {
	const registry = new StreamRegistry();
	const c = new Collector();
	registry.subscribe(key, c);
	assert.is(registry.get(key)?.live, false);
	const first = registry.publish(key, 'udp');
	first.announce([video]);
	first.push(packet(1, 0, true));
	first.end('socket idle');
	await tick();
	// The same publisher may start a new session of the stream (a listener that outlives connections).
	first.announce([video]);
	first.push(packet(1, 900, true));
	await tick();
	assert.equal(c.events, ['tracks:1', 'p1@0K', 'end:socket idle', 'tracks:1', 'p1@900K']);
});

test('a second publisher is refused while the stream is live, accepted after it ended', () => {
	const registry = new StreamRegistry();
	const first = registry.publish(key, 'rtmp');
	assert.throws(
		() => registry.publish(key, 'srt'),
		(e: TapedeckError) => e.code === 'conflict' && /already being published/.test(e.message),
	);
	first.end();
	const second = registry.publish(key, 'srt');
	second.announce([video]);
	assert.is(registry.get(key)?.live, true);
	// The stale handle is inert now.
	first.push(packet(1, 0, true));
	assert.is(registry.get(key)?.stats.packets, 0);
});

test('streams without publisher or subscribers leave the registry', () => {
	const registry = new StreamRegistry();
	const sub = registry.subscribe(key, new Collector());
	assert.is(registry.list().length, 1);
	sub.close();
	assert.is(registry.list().length, 0);
	registry.publish(key, 'x').end();
	assert.is(registry.list().length, 0);
});

test('a subscriber that falls behind is dropped and told so; ingest and other subscribers carry on', async () => {
	const registry = new StreamRegistry();
	const slow = new Collector();
	const fine = new Collector();
	const slowSub = registry.subscribe(key, slow, { capacity: 8 });
	registry.subscribe(key, fine);
	const publisher = registry.publish(key, 'test');
	publisher.announce([video]);
	for (let i = 0; i < 20; i++) publisher.push(packet(1, i * 3600, i % 10 === 0));
	await tick();
	assert.is(slow.errors.length, 1);
	assert.match(slow.errors[0]?.message ?? '', /overflowed/);
	assert.ok(slowSub.closed);
	assert.ok(slowSub.dropped > 0);
	assert.is(slow.packets.length, 0);
	assert.is(fine.packets.length, 20);
});

test('authorize: the injected policy decides; private streams are refused whatever it says', async () => {
	const registry = new StreamRegistry({ authorize: async (r) => r.credentials.key === 's3cret' });
	const request = { key, protocol: 'rtmp', remoteAddress: '127.0.0.1' };
	assert.is(await registry.authorize({ ...request, credentials: {} }), false);
	assert.is(await registry.authorize({ ...request, credentials: { key: 's3cret' } }), true);
	const job = { ...key, app: 'recording', stream: 'job1' };
	assert.is(await registry.authorize({ ...request, key: job, credentials: { key: 's3cret' } }), false);
	const own = { ...key, stream: 'own-input' };
	registry.publisher(own, 'srt');
	assert.is(await registry.authorize({ ...request, key: own, credentials: { key: 's3cret' } }), false);
});

test.run();
