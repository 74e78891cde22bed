import * as assert from 'uvu/assert';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { Rebaser } from '../../src/recorder/rebaser.ts';
import type { SegmentationRule } from '../../src/recorder/segmentation-rule.ts';
import { test } from '../helpers/suite.ts';

const VIDEO: Track = {
	id: 1,
	kind: 'video',
	codec: 'h264',
	timescale: 90_000,
	config: new Uint8Array(),
	name: 'video',
};
const AUDIO: Track = { id: 2, kind: 'audio', codec: 'aac', timescale: 48_000, config: new Uint8Array(), name: 'audio' };
const data = new Uint8Array(1);
const v = (dts: number, pts = dts, keyframe = false): Packet => ({
	trackId: 1,
	dts,
	pts,
	duration: 3600,
	keyframe,
	data,
});
const a = (dts: number): Packet => ({ trackId: 2, dts, pts: dts, duration: 1024, keyframe: true, data });

const rebaser = (rule: SegmentationRule) => {
	const r = new Rebaser(rule);
	r.setTracks([VIDEO, AUDIO]);
	return r;
};
/**
 * Maps a packet all the way to the file timeline: [dts, pts], or undefined when dropped. A packet
 * that starts a file settles its origin at its own PTS, as a file whose tracks all start with it.
 */
const map = (r: Rebaser, p: Packet, startsFile = false): [number, number] | undefined => {
	const recording = r.toRecording(p);
	if (!recording) return undefined;
	if (startsFile) {
		r.startFile(p.trackId);
		if (r.settling) r.settleOrigin({ ticks: recording.pts, timescale: p.trackId === 1 ? 90_000 : 48_000 });
	}
	const file = r.fileOf(p.trackId, false);
	return file ? [r.onFile(p.trackId, file, recording.dts), r.onFile(p.trackId, file, recording.pts)] : undefined;
};

test('one origin for all tracks: the earliest presentation time is 0 and A/V offsets are kept', () => {
	const r = rebaser('discontinuity');
	r.toRecording(v(900_000, 907_200, true));
	r.startFile(1);
	assert.ok(r.settling, 'the origin waits for the first packet of every track');
	// 10.05 s at 48 kHz: after the keyframe's DTS (10 s), before its PTS (10.08 s)
	const audio = r.toRecording(a(482_400))!;
	r.settleOrigin({ ticks: audio.pts, timescale: 48_000 });
	assert.not.ok(r.settling);
	assert.equal(r.onFile(2, 'current', audio.pts), 0);
	// the keyframe decodes 50 ms before the file's 0 and shows 30 ms after it
	assert.equal([r.onFile(1, 'current', 0), r.onFile(1, 'current', 7200)], [-4500, 2700]);
	assert.equal(map(r, v(903_600, 914_400)), [-900, 9900]);
});

test('packets before the file start are dropped and counted', () => {
	const r = rebaser('discontinuity');
	map(r, v(900_000, 900_000, true), true);
	assert.is(map(r, a(479_000)), undefined);
	assert.is(r.stats.droppedBeforeStart, 1);
});

test('discontinuity: each file starts at 0; continuity: files carry on', () => {
	for (const rule of ['discontinuity', 'continuity'] as const) {
		const r = rebaser(rule);
		map(r, v(900_000, 900_000, true), true);
		map(r, a(480_000));
		map(r, v(903_600));
		// The next file starts at the keyframe 3 s later.
		const next = map(r, v(1_170_000, 1_170_000, true), true);
		const audio = map(r, a(480_000 + 144_000 + 480));
		if (rule === 'discontinuity') {
			assert.equal(next, [0, 0]);
			assert.equal(audio, [480, 480]);
		} else {
			assert.equal(next, [270_000, 270_000]);
			assert.equal(audio, [144_480, 144_480]);
		}
		assert.is(Math.round(r.elapsedMs(2)), 10);
	}
});

test('continuity across a source restart carries on at the end written', () => {
	const r = rebaser('continuity');
	map(r, v(900_000, 900_000, true), true);
	map(r, v(903_600));
	map(r, a(480_000 + 1024));
	// Video ends at 7200 ticks (0.08 s); audio at 2048/48000 s (0.0427 s).
	r.restart();
	assert.equal(map(r, v(5_000, 5_000, true), true), [7200, 7200]);
	// 5000 ticks at 90 kHz is 2666.67 at 48 kHz: the shared origin rounds to the nearest tick.
	assert.equal(map(r, a(2_666 + 1024)), [4863, 4863]);
});

test('discontinuity across a source restart starts at 0 again', () => {
	const r = rebaser('discontinuity');
	map(r, v(900_000, 900_000, true), true);
	r.restart();
	// the keyframe's PTS is 0; it decodes one frame before
	assert.equal(map(r, v(5_000, 8_600, true), true), [-3600, 0]);
});

test('a repeated DTS is nudged one tick on; a DTS further back is a jump: kept, one frame on', () => {
	const r = rebaser('discontinuity');
	map(r, v(0, 0, true), true);
	map(r, v(3600));
	assert.equal(map(r, v(3600, 3600)), [3601, 3601]);
	assert.is(r.stats.nudged, 1);
	assert.equal(map(r, v(-3600)), [7201, 7201]);
	assert.is(r.stats.discontinuities, 1);
	assert.equal(map(r, v(0)), [10_801, 10_801]);
});

test('a PTS before its DTS is raised to the DTS', () => {
	const r = rebaser('discontinuity');
	map(r, v(0, 0, true), true);
	assert.equal(map(r, v(3600, 100)), [3600, 3600]);
});

test('jumps of more than 10 s either way are healed: the track carries on one frame later', () => {
	const r = rebaser('discontinuity');
	map(r, v(0, 0, true), true);
	map(r, v(3600));
	assert.equal(map(r, v(3600 + 90_000 * 60, 3600 + 90_000 * 60 + 3600)), [7200, 10_800]);
	assert.equal(map(r, v(7200 + 90_000 * 60)), [10_800, 10_800]);
	assert.equal(map(r, v(500)), [14_400, 14_400]);
	assert.is(r.stats.discontinuities, 2);
});

/**
 * Feeds 2 s of 25 fps video and 48 kHz AAC with audio 30 ms behind video, the audio muxed 200 ms
 * late (as MPEG-TS packs it), jumping by `jumpS` at 1 s; returns the output DTS of both tracks.
 */
const feedJump = (jumpS: number, hint = false) => {
	const jumps: number[] = [];
	const r = new Rebaser('discontinuity', (jump) => jumps.push(jump.seconds));
	r.setTracks([VIDEO, AUDIO]);
	const events: Array<{ packet: Packet; at: number }> = [];
	for (let i = 0; i < 50; i++) {
		const s = i * 0.04 + (i >= 25 ? jumpS : 0);
		events.push({ packet: v(Math.round(s * 90_000), Math.round(s * 90_000), i % 25 === 0), at: i * 0.04 });
	}
	for (let i = 0; i < 93; i++) {
		const s = 0.03 + (i * 1024) / 48_000;
		const shifted = s >= 1 ? s + jumpS : s;
		events.push({ packet: a(Math.round(shifted * 48_000)), at: s + 0.2 });
	}
	events.sort((x, y) => x.at - y.at);
	const out = { video: [] as number[], audio: [] as number[], jumps };
	let first = true;
	for (const { packet, at } of events) {
		if (hint && Math.abs(at - 1) < 0.001) r.hintJump();
		const mapped = map(r, packet, first);
		first = false;
		assert.ok(mapped, 'every packet kept');
		(packet.trackId === 1 ? out.video : out.audio).push(mapped![0] / (packet.trackId === 1 ? 90_000 : 48_000));
	}
	return out;
};

for (const [name, jumpS, hint] of [
	['forward 60 s', 60, false],
	['backward 60 s', -60, false],
	['backward 3 s', -3, false],
	['forward 2 s after the input said so', 2, true],
] as const) {
	test(`a jump ${name}: every packet kept, monotonic, one offset for all tracks`, () => {
		const out = feedJump(jumpS, hint);
		assert.equal(out.jumps.length, 1, `one jump seen: ${out.jumps}`);
		for (const list of [out.video, out.audio]) {
			for (let i = 1; i < list.length; i++) assert.ok(list[i]! > list[i - 1]!, `monotonic at ${i}`);
		}
		// Continuous: the video frame after the jump follows its last one by one frame.
		assert.ok(Math.abs(out.video[25]! - out.video[24]! - 0.04) < 1e-6, 'video carries on one frame later');
		// The A/V offset after the jump is the input's (audio 30 ms after video) within one audio frame.
		const audioAfter = out.audio.find((s) => s >= out.video[25]! - 0.001)!;
		const input = 0.03 + Math.ceil((1 - 0.03) / (1024 / 48_000)) * (1024 / 48_000) - 1;
		assert.ok(Math.abs(audioAfter - out.video[25]! - input) <= 1024 / 48_000 + 1e-6, `offset ${audioAfter}`);
		assert.ok(out.audio.length === 93 && out.video.length === 50);
	});
}

test('audio that ran past the video before a restart moves the new epoch on: A/V stays in sync', () => {
	const r = new Rebaser('discontinuity');
	r.setTracks([VIDEO, AUDIO]);
	const frame = 1024 / 48_000;
	const events: Array<{ packet: Packet; at: number }> = [];
	// The first encode: video 0–1 s, audio 0–1.024 s; the second starts at 100 s, audio 5 ms after video.
	for (let i = 0; i < 50; i++) {
		const s = i < 25 ? i * 0.04 : 100 + (i - 25) * 0.04;
		events.push({ packet: v(Math.round(s * 90_000), Math.round(s * 90_000), i % 25 === 0), at: i * 0.04 });
	}
	for (let i = 0; i < 96; i++) {
		const s = i < 48 ? i * frame : 100.005 + (i - 48) * frame;
		events.push({ packet: a(Math.round(s * 48_000)), at: (i < 48 ? s : s - 99) + 0.2 });
	}
	events.sort((x, y) => x.at - y.at);
	const out = new Map<number, number[]>([
		[1, []],
		[2, []],
	]);
	let first = true;
	for (const { packet } of events) {
		const mapped = map(r, packet, first);
		first = false;
		out.get(packet.trackId)!.push(mapped![0] / (packet.trackId === 1 ? 90_000 : 48_000));
	}
	const [video, audio] = [out.get(1)!, out.get(2)!];
	for (const list of [video, audio]) for (let i = 1; i < list.length; i++) assert.ok(list[i]! > list[i - 1]!);
	assert.ok(audio[48]! >= audio[47]! + frame - 1e-6, 'audio carries on after its own last frame');
	// At the end, audio is 5 ms after video as in the second encode (the last frames: video 100.96, audio 100.005 + 47 frames).
	const inputEnd = 100.005 + 47 * frame - 100.96;
	assert.ok(Math.abs(audio.at(-1)! - video.at(-1)! - inputEnd) < 0.001, `end offset ${audio.at(-1)! - video.at(-1)!}`);
	assert.ok(video[25]! - video[24]! < 0.041, 'the video carries on one frame later');
});

test('without a hint a 2 s forward step is a gap, not a jump', () => {
	const out = feedJump(2);
	assert.equal(out.jumps, []);
	assert.ok(out.video[25]! - out.video[24]! > 2);
});

test('a track added later takes the shared origin in its own timescale', () => {
	const r = new Rebaser('discontinuity');
	r.setTracks([VIDEO]);
	map(r, v(90_000, 90_000, true), true);
	r.setTracks([VIDEO, AUDIO]);
	assert.equal(map(r, a(48_000 + 4800)), [4800, 4800]);
});

test.run();
