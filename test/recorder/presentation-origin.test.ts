/**
 * Every file the recorder pipeline writes (a remux, and a split into 1 s files, as a recording makes
 * them) starts at its earliest presentation time, as `ffmpeg -c copy` sets it: no empty lead edit,
 * the B-frame delay decoding before 0, each split file as long as its media, the A/V offset the
 * input's. Input: ffmpeg's H.264 with B-frames (a keyframe every second) and AAC, in MPEG-TS.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { SEQUENCE_MACRO } from '../../src/cli/remux.ts';
import {
	avOffsetMismatches,
	decodeErrors,
	formatDuration,
	type ProbedStream,
	probeStreams,
} from '../helpers/media-check.ts';
import { remux } from '../helpers/mp4-source.ts';
import { readWithMp4box } from '../helpers/mp4box-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const BIN = join(import.meta.dirname, '../../src/cli/bin.mjs');
const INPUT = fixture('h264-aac48');
const dir = tempDir('presentation-origin');
// test/run.sh sets NO_COLOR and FORCE_COLOR together, which makes every child node warn on stderr.
delete process.env.FORCE_COLOR;

const tapedeck = async (...args: string[]) => {
	const result = await run(process.execPath, [BIN, ...args], 60_000);
	assert.is(result.code, 0, result.stderr);
};

const stream = (streams: ProbedStream[], type: string) => streams.find((s) => s.codecType === type)!;
/** Where the file's media starts: the earliest stream start time. */
const mediaStart = (streams: ProbedStream[]) => Math.min(...streams.map((s) => s.firstPts));
/** Where the file's media ends: the latest stream end (start time, empty edit included, plus duration). */
const mediaEnd = async (file: string): Promise<number> => {
	const result = await run('ffprobe', [
		'-v',
		'error',
		'-show_entries',
		'stream=start_time,duration',
		'-of',
		'json',
		file,
	]);
	const { streams } = JSON.parse(result.stdout) as { streams: { start_time: string; duration: string }[] };
	return Math.max(...streams.map((s) => Number(s.start_time) + Number(s.duration)));
};

/** The files `tapedeck remux` wrote for a `${Sequence}` template, in sequence order. */
const splitFiles = (prefix: string, extension: string) =>
	readdirSync(dir)
		.filter((name) => name.startsWith(`${prefix}-`) && name.endsWith(`.${extension}`))
		.sort((x, y) => Number.parseInt(x.slice(prefix.length + 1), 10) - Number.parseInt(y.slice(prefix.length + 1), 10))
		.map((name) => join(dir, name));

const reference = remux(INPUT, join(dir, 'ffmpeg-copy.mp4'));

test('remux to MP4: stream start times and edit lists as ffmpeg -c copy writes them, no empty lead edit', async () => {
	const output = join(dir, 'remux.mp4');
	await tapedeck('remux', INPUT, output);
	assert.is(await decodeErrors(output), '');
	const [ours, theirs] = await Promise.all([probeStreams(output), probeStreams(reference)]);
	assert.ok(Math.abs(mediaStart(ours)) <= 0.001, `media starts at ${mediaStart(ours)} s`);
	for (const type of ['video', 'audio']) {
		const [a, b] = [stream(ours, type).firstPts, stream(theirs, type).firstPts];
		assert.ok(Math.abs(a - b) <= 0.001, `${type} starts at ${a} s, ffmpeg's copy at ${b} s`);
	}
	assert.ok(
		stream(ours, 'video').dts[0]! < 0,
		'the keyframe decodes before 0, its B-frame delay hidden by the edit list',
	);
	assert.equal(
		readWithMp4box(output).tracks.map((t) => t.edits),
		readWithMp4box(reference).tracks.map((t) => t.edits),
	);
	assert.ok(Math.abs((await formatDuration(output)) - (await mediaEnd(output))) <= 0.001, 'as long as its media');
});

test('split every second into MP4: each file starts at its keyframe PTS, is as long as its media, A/V as the input', async () => {
	await tapedeck('remux', INPUT, join(dir, `split-${SEQUENCE_MACRO}.mp4`), '--split-interval-ms', '1000');
	const files = splitFiles('split', 'mp4');
	assert.ok(files.length >= 3, `${files.length} files`);
	const probed = await Promise.all(files.map((file) => probeStreams(file)));
	const input = await probeStreams(INPUT);
	for (const [i, file] of files.entries()) {
		assert.is(await decodeErrors(file), '', file);
		const streams = probed[i]!;
		assert.ok(Math.abs(mediaStart(streams)) <= 0.001, `${file}: media starts at ${mediaStart(streams)} s`);
		// an empty edit may only say how much later one track starts than the other (under one audio frame)
		const mp4 = readWithMp4box(file);
		for (const track of mp4.tracks) {
			const lead = track.edits[0];
			const empty = lead?.mediaTime === -1 ? lead.duration / mp4.movieTimescale : 0;
			assert.ok(empty < 1024 / 48_000, `${file}: track ${track.id} starts with a ${empty} s empty edit`);
		}
		assert.ok(
			mp4.tracks.some((t) => t.edits[0]?.mediaTime !== -1),
			`${file}: one track starts at 0`,
		);
		const video = stream(streams, 'video');
		if (i > 0) assert.ok(Math.abs(video.firstPts) <= 0.001, `${file}: video starts at ${video.firstPts} s`);
		assert.is(video.keyframePts[0], Math.min(...video.pts), `${file} starts on a keyframe`);
		const [duration, end] = [await formatDuration(file), await mediaEnd(file)];
		assert.ok(Math.abs(duration - end) <= 0.001, `${file}: ${duration} s long, media ${end} s`);
		// the file presents one second of video: its keyframe interval, not a B-frame delay more
		assert.ok(i === files.length - 1 || Math.abs(video.duration - 1) <= 0.001, `${file}: video ${video.duration} s`);
	}
	assert.equal(avOffsetMismatches(input, probed), [], 'A/V offsets as in the input');
	const frames = probed.reduce((n, streams) => n + stream(streams, 'video').packets, 0);
	assert.is(frames, stream(input, 'video').packets, 'every frame written');
});

for (const extension of ['ts', 'flv', 'avi'] as const) {
	test(`split every second into ${extension}: every file decodes silently, every frame kept`, async () => {
		await tapedeck(
			'remux',
			INPUT,
			join(dir, `${extension}-${SEQUENCE_MACRO}.${extension}`),
			'--split-interval-ms',
			'1000',
		);
		const files = splitFiles(extension, extension);
		assert.ok(files.length >= 3, `${files.length} files`);
		let frames = 0;
		for (const file of files) {
			assert.is(await decodeErrors(file), '', file);
			frames += stream(await probeStreams(file), 'video').packets;
		}
		assert.is(frames, stream(await probeStreams(INPUT), 'video').packets);
	});
}
test.run();
