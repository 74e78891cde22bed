/**
 * A track that is announced but never sends media (an FLV whose header and AAC sequence header promise
 * audio that never comes, as an encoder with a dead microphone input sends): the file is written
 * without waiting for it, the user is told which track sent nothing, and the container does what
 * ffmpeg's does: MP4 and FLV leave it out; TS (PMT) and AVI (stream headers) declare their streams
 * before the media, so it stays listed there, with no media.
 */
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { decodeErrors, probeStreams } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { ffmpegMake, H264_FAST, lavfiInputs } from '../helpers/ts-media.ts';

const BIN = join(import.meta.dirname, '../../src/cli/bin.mjs');
const OUT = tempDir('empty-track');
const FRAMES = 50;

const input = (async () => {
	const path = join(OUT, 'no-audio-frames.flv');
	await ffmpegMake([...lavfiInputs(2), ...H264_FAST, '-c:a', 'aac', '-frames:a', '0', '-f', 'flv'], path);
	return path;
})();

for (const [format, listed] of [
	['mp4', false],
	['flv', false],
	['ts', true],
	['avi', true],
] as const) {
	test(`${format}: an audio track that sends nothing is named in a warning and ${listed ? 'stays listed, empty' : 'left out'}`, async () => {
		const output = join(OUT, `out.${format}`);
		const result = await run(process.execPath, [BIN, 'remux', await input, output], 30_000);
		assert.is(result.code, 0, result.stderr);
		const expected = listed
			? `track 2 (audio aac) sent no media: listed in the file with no media (${format} declares its streams before the media)`
			: 'track 2 (audio aac) sent no media: left out of the file';
		assert.ok(result.stderr.includes(expected), result.stderr);
		const streams = await probeStreams(output);
		assert.equal(
			streams.map((s) => s.codecType),
			listed ? ['video', 'audio'] : ['video'],
		);
		assert.is(streams.find((s) => s.codecType === 'video')?.packets, FRAMES, 'every picture');
		assert.is(streams.find((s) => s.codecType === 'audio')?.packets ?? 0, 0, 'no audio packet');
		assert.is(await decodeErrors(output), '');
	});
}

test.run();
