import * as assert from 'uvu/assert';
import { type ArenaPacket, PacketArena } from '../../src/bus/packet-arena.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import { test } from '../helpers/suite.ts';

/** A packet whose payload is `length` bytes of `fill`, in a buffer the caller may overwrite afterwards. */
const packet = (length: number, fill: number): Packet => ({
	trackId: 1,
	dts: fill,
	pts: fill,
	duration: 0,
	keyframe: false,
	data: new Uint8Array(length).fill(fill),
});

const bytesOf = (p: ArenaPacket): number[] => [...p.data];
const filled = (length: number, fill: number): number[] => new Array<number>(length).fill(fill);

test('copies are bump-allocated in one chunk and independent of the producer buffer', () => {
	const arena = new PacketArena({ chunkBytes: 64 });
	const source = packet(10, 1);
	const a = arena.copy(source);
	source.data.fill(99);
	const b = arena.copy(packet(20, 2));
	assert.equal(bytesOf(a), filled(10, 1));
	assert.equal(bytesOf(b), filled(20, 2));
	assert.is(a.data.buffer, b.data.buffer, 'same chunk');
	assert.is(a.data.byteOffset, 0);
	assert.is(b.data.byteOffset, 10);
	assert.equal(
		{ trackId: a.trackId, dts: a.dts, pts: a.pts, duration: a.duration, keyframe: a.keyframe },
		{
			trackId: 1,
			dts: 1,
			pts: 1,
			duration: 0,
			keyframe: false,
		},
	);
	assert.equal(arena.stats, { chunksAllocated: 1, chunksHeld: 1, spareChunks: 0, oversizePackets: 0 });
});

test('a payload that fills a chunk exactly stays in it; the next one opens a new chunk', () => {
	const arena = new PacketArena({ chunkBytes: 16 });
	const a = arena.copy(packet(8, 1));
	const b = arena.copy(packet(8, 2));
	a.retain();
	b.retain();
	const c = arena.copy(packet(1, 3));
	assert.is(a.data.buffer, b.data.buffer);
	assert.is(b.data.byteOffset, 8);
	assert.is.not(c.data.buffer, b.data.buffer);
	assert.is(c.data.byteOffset, 0);
	assert.equal(bytesOf(a), filled(8, 1));
	assert.equal(bytesOf(b), filled(8, 2));
	assert.equal(arena.stats, { chunksAllocated: 2, chunksHeld: 2, spareChunks: 0, oversizePackets: 0 });
});

test('a chunk nobody retained is filled again as soon as the arena moves on', () => {
	const arena = new PacketArena({ chunkBytes: 16 });
	const a = arena.copy(packet(16, 1));
	const b = arena.copy(packet(16, 2));
	assert.is(b.data.buffer, a.data.buffer, 'the same chunk, from its start');
	assert.is(b.data.byteOffset, 0);
	assert.equal(arena.stats, { chunksAllocated: 1, chunksHeld: 1, spareChunks: 0, oversizePackets: 0 });
});

test('a payload that does not fit the rest of a chunk skips it, and is never split', () => {
	const arena = new PacketArena({ chunkBytes: 16 });
	arena.copy(packet(10, 1)).retain();
	const b = arena.copy(packet(7, 2));
	assert.is(b.data.byteOffset, 0, 'starts a new chunk');
	assert.is(b.data.length, 7);
	assert.equal(bytesOf(b), filled(7, 2));
	assert.is(arena.stats.chunksAllocated, 2);
});

test('an oversize payload gets a buffer of its own and leaves the chunk being filled alone', () => {
	const arena = new PacketArena({ chunkBytes: 16 });
	const a = arena.copy(packet(4, 1));
	const source = packet(17, 2);
	const big = arena.copy(source);
	source.data.fill(0);
	const c = arena.copy(packet(4, 3));
	assert.equal(bytesOf(big), filled(17, 2));
	assert.is.not(big.data.buffer, a.data.buffer);
	assert.is(big.data.buffer.byteLength, 17);
	assert.is(c.data.buffer, a.data.buffer, 'the chunk carries on after the oversize payload');
	assert.is(c.data.byteOffset, 4);
	big.retain();
	big.release();
	assert.equal(arena.stats, { chunksAllocated: 1, chunksHeld: 1, spareChunks: 0, oversizePackets: 1 });
});

test('a chunk is reused only once its last holder let go, in whatever order they release', () => {
	const arena = new PacketArena({ chunkBytes: 12 });
	const first = [arena.copy(packet(4, 1)), arena.copy(packet(4, 2)), arena.copy(packet(4, 3))];
	for (const p of first) p.retain();
	const second = arena.copy(packet(12, 4)); // the first chunk is full: the arena lets go of it
	second.retain();
	first[2]!.release();
	first[0]!.release();
	assert.is(arena.stats.spareChunks, 0, 'still held by the middle packet');
	// While held, filling more chunks never touches the first one.
	for (let i = 0; i < 5; i++) arena.copy(packet(12, 50 + i));
	assert.equal(bytesOf(first[1]!), filled(4, 2));
	assert.equal(bytesOf(second), filled(12, 4));
	first[1]!.release();
	assert.is(arena.stats.spareChunks, 1, 'the first chunk is spare');
	const allocated = arena.stats.chunksAllocated;
	const reused: ArenaPacket[] = [];
	for (let i = 0; i < 2; i++) {
		const p = arena.copy(packet(12, 7 + i));
		p.retain();
		reused.push(p);
	}
	assert.is(arena.stats.chunksAllocated, allocated, 'spares are filled again before anything is allocated');
	assert.is(reused[1]!.data.buffer, first[0]!.data.buffer, 'the first chunk is in use again');
	assert.equal(bytesOf(reused[0]!), filled(12, 7));
	assert.equal(bytesOf(reused[1]!), filled(12, 8));
	assert.equal(bytesOf(second), filled(12, 4), 'a retained packet is never overwritten');
});

test('the spare list is bounded; beyond it emptied chunks are left to the garbage collector', () => {
	const arena = new PacketArena({ chunkBytes: 8, maxSpareChunks: 2 });
	const held: ArenaPacket[] = [];
	for (let i = 0; i < 6; i++) {
		const p = arena.copy(packet(8, i));
		p.retain();
		held.push(p);
	}
	assert.equal(arena.stats, { chunksAllocated: 6, chunksHeld: 6, spareChunks: 0, oversizePackets: 0 });
	for (const p of held) p.release();
	assert.equal(arena.stats, { chunksAllocated: 6, chunksHeld: 1, spareChunks: 2, oversizePackets: 0 });
	for (let i = 0; i < 3; i++) arena.copy(packet(8, 10 + i));
	assert.is(arena.stats.chunksAllocated, 6, 'the spares and the arena-held chunk cycle without allocating');
	for (let i = 0; i < 3; i++) arena.copy(packet(8, 20 + i)).retain();
	assert.is(arena.stats.chunksAllocated, 7, 'more than the spares needed at once: a new chunk');
});

test('idle() lets go of the chunk being filled and drops the spares; later releases are not kept', () => {
	const arena = new PacketArena({ chunkBytes: 8 });
	const lagging = arena.copy(packet(8, 1));
	lagging.retain();
	const second = arena.copy(packet(8, 2));
	second.retain();
	arena.copy(packet(8, 3));
	second.release();
	assert.equal(arena.stats, { chunksAllocated: 3, chunksHeld: 2, spareChunks: 1, oversizePackets: 0 });
	arena.idle();
	assert.equal(arena.stats, { chunksAllocated: 3, chunksHeld: 1, spareChunks: 0, oversizePackets: 0 });
	assert.equal(bytesOf(lagging), filled(8, 1), 'what a holder keeps stays intact');
	lagging.release();
	assert.equal(arena.stats, { chunksAllocated: 3, chunksHeld: 0, spareChunks: 0, oversizePackets: 0 });
	const next = arena.copy(packet(4, 9));
	assert.equal(bytesOf(next), filled(4, 9));
	assert.is(arena.stats.chunksAllocated, 4, 'the next session starts with a fresh chunk');
	next.retain();
	arena.copy(packet(8, 10));
	next.release();
	assert.is(arena.stats.spareChunks, 1, 'spares are kept again once packets flow');
});

test('a packet released more often than retained is reported, before its chunk can be overwritten', () => {
	const arena = new PacketArena({ chunkBytes: 8 });
	const p = arena.copy(packet(8, 1));
	p.retain();
	p.release();
	for (const release of [() => p.release(), () => arena.copy(packet(20, 2)).release()]) {
		try {
			release();
			assert.unreachable('should have thrown');
		} catch (error) {
			assert.instance(error, TapedeckError);
			assert.is((error as TapedeckError).code, 'internal');
			assert.match((error as Error).message, /released more often than it was retained/);
		}
	}
});

test('bad options are refused with the rule and the value', () => {
	assert.throws(() => new PacketArena({ chunkBytes: 0 }), /chunk size must be a positive integer, got 0/);
	assert.throws(() => new PacketArena({ chunkBytes: 1.5 }), /got 1.5/);
	assert.throws(() => new PacketArena({ maxSpareChunks: -1 }), /spare chunk count must be an integer ≥ 0, got -1/);
});

test.run();
