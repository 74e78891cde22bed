/**
 * A timeline whose 0 is the earliest presentation time, as `ffmpeg -c copy` sets one up: the
 * B-frames of the first GOP then decode before 0 (negative DTS). Every muxer takes it: MP4 and MOV
 * start at 0 with no empty lead edit and the stream start times of ffmpeg's own copy (an edit list's
 * media_time hides the B-frame delay); fMP4 puts the delay in tfdt and takes it back in the init
 * segment's edit list, and defragments to the same; TS writes it inside its mux delay with a PCR that
 * never goes below 0 and always increases; FLV moves the file later by the delay, as ffmpeg does.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createMuxer } from '../../mux/create-muxer.ts';
import { defragmentMp4 } from '../../mux/mp4/defragment.ts';
import type { Packet } from '../../src/core/packet.ts';
import { EXTENSION } from '../helpers/container-extension.ts';
import { decodeErrors, type ProbedStream, probeStreams } from '../helpers/media-check.ts';
import { fixtureMp4Source, muxToFile, remux } from '../helpers/mp4-source.ts';
import { readWithMp4box } from '../helpers/mp4box-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('timeline');

/** h264-aac48 (B-frames, audio starting 21 ms before video) on a timeline whose 0 is its earliest PTS. */
const presentationOrigin = () => {
	const source = fixtureMp4Source('h264-aac48', dir);
	const timescale = (p: Packet) => source.tracks.find((t) => t.id === p.trackId)!.timescale;
	const earliest = Math.min(...source.packets.map((p) => p.pts / timescale(p)));
	const packets = source.packets.map((p) => {
		const shift = Math.round(earliest * timescale(p));
		return { ...p, dts: p.dts - shift, pts: p.pts - shift };
	});
	assert.ok(
		packets.some((p) => p.dts < 0),
		'the first B-frames decode before 0',
	);
	return { tracks: source.tracks, packets };
};

const reference = probeStreams(remux(fixture('h264-aac48'), join(dir, 'ffmpeg-copy.mp4')));
const start = (streams: ProbedStream[], type: string) => streams.find((s) => s.codecType === type)!.firstPts;

/** Stream start times as ffmpeg's own copy has them (audio at 0, video 21 ms later), to the millisecond. */
const assertStartsLikeFfmpeg = async (file: string) => {
	const [ours, theirs] = await Promise.all([probeStreams(file), reference]);
	for (const type of ['video', 'audio']) {
		assert.ok(
			Math.abs(start(ours, type) - start(theirs, type)) <= 0.001,
			`${type} starts at ${start(ours, type)} s, ffmpeg's copy at ${start(theirs, type)} s`,
		);
	}
};

for (const format of ['mp4', 'mov', 'fmp4'] as const) {
	test(`${format}: starts at 0 with ffmpeg's edit lists, no empty lead edit`, async () => {
		const file = join(dir, `origin.${EXTENSION[format]}`);
		await muxToFile((tracks, sink) => createMuxer(format, tracks, sink), presentationOrigin(), file);
		assert.is(await decodeErrors(file), '');
		await assertStartsLikeFfmpeg(file);
		const progressive = format === 'fmp4' ? join(dir, 'origin-defragmented.mp4') : file;
		if (format === 'fmp4') {
			await defragmentMp4(file, progressive, { brand: 'mp4' });
			assert.is(await decodeErrors(progressive), '');
			await assertStartsLikeFfmpeg(progressive);
		}
		// the edit lists ffmpeg writes: an empty edit only for the video's 21 ms after the audio, none before the file's start
		assert.equal(
			readWithMp4box(progressive).tracks.map((t) => t.edits),
			readWithMp4box(join(dir, 'ffmpeg-copy.mp4')).tracks.map((t) => t.edits),
		);
	});
}

for (const format of ['ts', 'flv'] as const) {
	test(`${format}: B-frames before 0 are written whole, the A/V offset kept`, async () => {
		const file = join(dir, `origin.${EXTENSION[format]}`);
		const source = presentationOrigin();
		await muxToFile((tracks, sink) => createMuxer(format, tracks, sink), source, file);
		assert.is(await decodeErrors(file), '');
		const [ours, theirs] = await Promise.all([probeStreams(file), reference]);
		assert.equal(
			ours.map((s) => s.packets),
			source.tracks.map((t) => source.packets.filter((p) => p.trackId === t.id).length),
		);
		const offset = (streams: ProbedStream[]) => start(streams, 'video') - start(streams, 'audio');
		// FLV stores milliseconds
		assert.ok(Math.abs(offset(ours) - offset(theirs)) <= 0.0011, `A/V offset ${offset(ours)} s vs ${offset(theirs)} s`);
	});
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
