import * as assert from 'uvu/assert';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { Rebaser, type SegmentationRule } from '../../src/recorder/rebaser.ts';
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
/** Maps a packet all the way to the file timeline: [dts, pts], or undefined when dropped. */
const map = (r: Rebaser, p: Packet, startsFile = false): [number, number] | undefined => {
	if (!r.toRecording(p)) return undefined;
	if (startsFile) r.startFile(p.trackId);
	return r.toFile(p.trackId, false) ? [r.dts, r.pts] : undefined;
};

test('one origin for all tracks: the first packet is 0 and A/V offsets are kept', () => {
	const r = rebaser('discontinuity');
	assert.equal(map(r, v(900_000, 907_200, true), true), [0, 7200]);
	// 10.05 s at 48 kHz is 0.05 s after the video keyframe at 10 s.
	assert.equal(map(r, a(482_400)), [2400, 2400]);
	assert.equal(map(r, v(903_600, 903_600)), [3600, 3600]);
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
	assert.equal(map(r, v(5_000, 8_600, true), true), [0, 3600]);
});

test('a repeated DTS is nudged one tick on; a DTS further back is dropped', () => {
	const r = rebaser('discontinuity');
	map(r, v(0, 0, true), true);
	map(r, v(3600));
	assert.equal(map(r, v(3600, 3600)), [3601, 3601]);
	assert.is(r.stats.nudged, 1);
	assert.is(map(r, v(-3600)), undefined);
	assert.is(r.stats.droppedNonMonotonic, 1);
	assert.equal(map(r, v(7200)), [7200, 7200]);
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
	assert.is(r.stats.droppedNonMonotonic, 0);
});

test('a track added later takes the shared origin in its own timescale', () => {
	const r = new Rebaser('discontinuity');
	r.setTracks([VIDEO]);
	map(r, v(90_000, 90_000, true), true);
	r.setTracks([VIDEO, AUDIO]);
	assert.equal(map(r, a(48_000 + 4800)), [4800, 4800]);
});

test.run();
