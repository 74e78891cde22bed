import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { FlvDemuxer } from '../../ingest/demux/flv/flv-demuxer.ts';
import { parseVideoTagBody } from '../../ingest/demux/flv/flv-video-tag.ts';
import type { MediaReceiver } from '../../src/core/media-receiver.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';

/** Collects announcements and packets (copying payloads, as the contract asks). */
class Collector implements MediaReceiver {
	announcements: Track[][] = [];
	packets: Packet[] = [];
	announce(tracks: readonly Track[]): void {
		this.announcements.push([...tracks]);
	}
	push(packet: Packet): void {
		this.packets.push({ ...packet, data: new Uint8Array(packet.data) });
	}
	of(trackId: number): Packet[] {
		return this.packets.filter((p) => p.trackId === trackId);
	}
}

const demux = (bytes: Uint8Array, split: (i: number) => number = () => bytes.length) => {
	const collector = new Collector();
	const demuxer = new FlvDemuxer(collector);
	let at = 0;
	for (let i = 0; at < bytes.length; i++) {
		const n = Math.max(1, split(i));
		demuxer.push(bytes.subarray(at, at + n));
		at += n;
	}
	demuxer.end();
	return { collector, demuxer };
};

/** A small deterministic PRNG so failures reproduce. */
const random = (seed: number) => () => {
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return seed / 2147483648;
};

test('FLV fixture: tracks, counts, keyframes and timestamps match ffprobe', async () => {
	const file = fixture('h264-aac48-flv');
	const { collector, demuxer } = demux(readFileSync(file));
	const probed = await probeStreams(file);
	assert.is(collector.announcements.length, 1, 'one announcement with both tracks');
	const [video, audio] = collector.announcements[0]!;
	assert.is(video?.codec, 'h264');
	assert.equal(video?.video, { width: 320, height: 240 });
	assert.is(audio?.codec, 'aac');
	assert.equal(audio?.audio, { sampleRate: 48_000, channels: 2 });
	const pv = probed.find((s) => s.codecType === 'video')!;
	const pa = probed.find((s) => s.codecType === 'audio')!;
	const vs = collector.of(1);
	const as = collector.of(2);
	assert.is(vs.length, pv.packets);
	assert.is(as.length, pa.packets);
	assert.is(vs.filter((p) => p.keyframe).length, pv.keyframes);
	vs.forEach((p, i) => {
		assert.is(p.dts / 90_000, pv.dts[i]);
		assert.is(p.pts / 90_000, pv.pts[i]);
	});
	// Audio ticks follow the millisecond timestamps within a millisecond, on an exact 1024-sample grid.
	as.forEach((p, i) => {
		assert.ok(Math.abs(p.dts / 48_000 - pa.dts[i]!) <= 0.001, `audio ${i}: ${p.dts / 48_000} vs ${pa.dts[i]}`);
		if (i > 0) assert.is(p.dts - as[i - 1]!.dts, 1024);
	});
	assert.is(demuxer.stats.droppedUnits, 0);
	assert.is(demuxer.stats.skippedBytes, 0);
	assert.is(demuxer.metadata?.['width'], 320);
	// Payloads are 4-byte length-prefixed NAL units that exactly fill the packet.
	for (const p of vs.slice(0, 10)) {
		let at = 0;
		while (at < p.data.length) at += 4 + new DataView(p.data.buffer, p.data.byteOffset).getUint32(at);
		assert.is(at, p.data.length);
	}
});

test('FLV with MP3: the frame header describes the track, counts and timestamps match ffprobe', async () => {
	const file = fixture('h264-mp3-flv');
	const { collector, demuxer } = demux(readFileSync(file));
	const audio = collector.announcements[0]?.find((t) => t.kind === 'audio');
	assert.equal([audio?.codec, audio?.timescale, audio?.audio], ['mp3', 44_100, { sampleRate: 44_100, channels: 1 }]);
	const probed = (await probeStreams(file)).find((s) => s.codecType === 'audio')!;
	const packets = collector.of(2);
	assert.is(packets.length, probed.packets);
	for (const [i, p] of packets.entries()) {
		assert.ok(Math.abs(p.pts / 44_100 - probed.pts[i]!) <= 0.001, `mp3 ${i}`);
		if (i > 0) assert.is(p.dts - packets[i - 1]!.dts, 1152);
	}
	assert.is(demuxer.stats.droppedUnits, 0);
});

test('bytes in any split give the same packets', () => {
	const bytes = readFileSync(fixture('h264-aac48-flv'));
	const whole = demux(bytes).collector;
	for (const size of [1, 7, 15, 4096]) {
		const next = random(size);
		const split = demux(bytes, () => (size === 1 ? 1 : Math.floor(next() * size * 2) + 1)).collector;
		assert.is(split.packets.length, whole.packets.length, `split ~${size}`);
		split.packets.forEach((p, i) => {
			const q = whole.packets[i]!;
			assert.ok(p.dts === q.dts && p.pts === q.pts && p.trackId === q.trackId && p.data.length === q.data.length);
		});
	}
});

test('corrupt bytes never throw and losses are counted', () => {
	const original = readFileSync(fixture('h264-aac48-flv'));
	const next = random(42);
	for (let round = 0; round < 20; round++) {
		const bytes = Uint8Array.from(original);
		for (let i = 0; i < 40; i++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
		const cut = bytes.subarray(0, Math.floor(bytes.length * (0.3 + next() * 0.7)));
		const { collector, demuxer } = demux(cut, () => Math.floor(next() * 3000));
		assert.ok(demuxer.stats.bytes === cut.length);
		assert.ok(collector.packets.length > 0);
	}
	// Pure garbage and a header alone.
	demux(Uint8Array.from({ length: 5000 }, () => Math.floor(next() * 256)));
	demux(original.subarray(0, 20));
});

test('enhanced RTMP video tags: hvc1 with SI24 composition time, CodedFramesX, legacy HEVC id 12', () => {
	const coded = Uint8Array.of(0x91, 0x68, 0x76, 0x63, 0x31, 0xff, 0xff, 0xd8, 0, 0, 0, 1, 0x26);
	const frame = parseVideoTagBody(coded, 1000);
	assert.equal(frame.kind === 'frame' && [frame.codec, frame.keyframe, frame.dtsMs, frame.ptsMs], [
		'h265',
		true,
		1000,
		960,
	]);
	const x = parseVideoTagBody(Uint8Array.of(0xa3, 0x68, 0x76, 0x63, 0x31, 0, 0, 0, 1, 2), 5);
	assert.equal(x.kind === 'frame' && [x.keyframe, x.ptsMs, x.data.length], [false, 5, 5]);
	const legacy = parseVideoTagBody(Uint8Array.of(0x1c, 0, 0, 0, 0, 1, 2, 3), 0);
	assert.equal(legacy.kind === 'config' && [legacy.codec, legacy.config.length], ['h265', 3]);
	const av1 = parseVideoTagBody(Uint8Array.of(0x80, 0x61, 0x76, 0x30, 0x31, 0x81, 0, 0, 0), 0);
	assert.equal(av1.kind === 'config' && av1.codec, 'av1');
	assert.is(parseVideoTagBody(Uint8Array.of(0x82, 0x76, 0x70, 0x30, 0x39), 0).kind, 'drop');
	assert.is(parseVideoTagBody(Uint8Array.of(0x17, 2, 0, 0, 0), 0).kind, 'ignore');
	assert.is(parseVideoTagBody(new Uint8Array(0), 0).kind, 'drop');
});

test.run();
