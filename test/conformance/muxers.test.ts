/**
 * The one conformance suite every muxer passes: each fixture remuxed through SegmentWriter into
 * each registered format that can carry its codecs, then checked with ffprobe and a full decode
 * against what ffprobe sees in the input.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { type FixtureName, fixture } from '../../fixtures/fixtures.ts';
import { DEMUXER_KINDS } from '../../ingest/demux/create-demuxer.ts';
import { CODEC_CARRIERS } from '../../mux/codec-carriers.ts';
import { MUXER_FORMATS } from '../../mux/create-muxer.ts';
import { CONTAINER_FORMATS, type ContainerFormat } from '../../mux/muxer.ts';
import { remuxFile } from '../../src/cli/remux.ts';
import type { CodecId } from '../../src/core/track.ts';
import { EXTENSION } from '../helpers/container-extension.ts';
import { decodeErrors, ffprobeErrors, type ProbedStream, probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Outputs go to a fresh folder outside the tree, removed when the suite ends. */
const OUT = tempDir('muxers');

/** The fixtures and the codecs in them. */
const FIXTURES: ReadonlyArray<{ name: FixtureName; codecs: readonly CodecId[] }> = [
	{ name: 'h264-aac48', codecs: ['h264', 'aac'] },
	{ name: 'h264-aac44', codecs: ['h264', 'aac'] },
	{ name: 'aac44-only', codecs: ['aac'] },
	{ name: 'h265-aac48', codecs: ['h265', 'aac'] },
	{ name: 'pts-wrap', codecs: ['h264', 'aac'] },
	{ name: 'h264-aac48-flv', codecs: ['h264', 'aac'] },
	{ name: 'h264-mp3', codecs: ['h264', 'mp3'] },
	{ name: 'h264-ac3', codecs: ['h264', 'ac3'] },
	{ name: 'h264-opus', codecs: ['h264', 'opus'] },
	{ name: 'h264-mp3-flv', codecs: ['h264', 'mp3'] },
];

/**
 * Pairs the muxers write but ffmpeg 5.1 cannot read back: Enhanced-RTMP H.265 in FLV arrived in
 * ffmpeg 6.1 (its round trip through our own FLV demuxer is in test/mux/flv-muxer.test.ts).
 */
const UNREADABLE_BY_FFMPEG_5: ReadonlyArray<[CodecId, ContainerFormat]> = [['h265', 'flv']];

const inputKind = (name: FixtureName) => (name.endsWith('-flv') ? 'flv' : 'ts');

const inputs = new Map<FixtureName, Promise<ProbedStream[]>>();
const probeInput = (name: FixtureName) => {
	let probed = inputs.get(name);
	if (!probed) {
		probed = probeStreams(fixture(name));
		inputs.set(name, probed);
	}
	return probed;
};

const byType = (streams: ProbedStream[], type: string) => streams.find((s) => s.codecType === type);

/** One frame of the stream: the mean spacing of its packets. */
const frameSeconds = (s: ProbedStream) => s.duration / s.packets;

const skipped: string[] = [];

for (const { name, codecs } of FIXTURES) {
	for (const format of CONTAINER_FORMATS) {
		if (!codecs.every((c) => CODEC_CARRIERS[c].includes(format))) continue;
		if (UNREADABLE_BY_FFMPEG_5.some(([codec, f]) => f === format && codecs.includes(codec))) continue;
		const row = `${name} → ${format}`;
		if (!MUXER_FORMATS.includes(format) || !DEMUXER_KINDS.includes(inputKind(name))) {
			skipped.push(row);
			continue;
		}
		test(row, async () => {
			const output = join(OUT, `${name}.${EXTENSION[format]}`);
			const result = await remuxFile({ input: fixture(name), output, format });
			assert.is(result.files.length, 1);
			assert.is(await ffprobeErrors(output), '', 'ffprobe reports no errors');
			assert.is(await decodeErrors(output), '', 'the file decodes without errors');
			const [input, written] = await Promise.all([probeInput(name), probeStreams(output)]);
			assert.is(written.length, input.length, 'same number of streams');
			for (const source of input) {
				const out = byType(written, source.codecType);
				assert.ok(out, `a ${source.codecType} stream`);
				assert.is(out.codecName, source.codecName);
				assert.is(out.packets, source.packets, `${source.codecType} packet count`);
				const frame = frameSeconds(source);
				assert.ok(
					Math.abs(out.duration - source.duration) <= frame + 1e-3,
					`${source.codecType} duration ${out.duration} s vs input ${source.duration} s (one frame: ${frame} s)`,
				);
			}
			const [video, audio] = [byType(input, 'video'), byType(input, 'audio')];
			if (video && audio) {
				const [outVideo, outAudio] = [byType(written, 'video')!, byType(written, 'audio')!];
				// AVI stores no presentation times: video shows its decode times, and audio can only start a
				// whole number of audio frames late, so its A/V offset is checked on DTS within half a frame.
				const noPts = format === 'avi';
				const videoStart = (s: ProbedStream) => (noPts ? Math.min(...s.dts) : s.firstPts);
				const inputOffset = audio.firstPts - videoStart(video);
				const outputOffset = outAudio.firstPts - videoStart(outVideo);
				const tolerance = noPts ? frameSeconds(audio) / 2 + 0.001 : 0.001;
				assert.ok(
					Math.abs(outputOffset - inputOffset) <= tolerance,
					`A/V first-PTS offset ${outputOffset.toFixed(4)} s vs input ${inputOffset.toFixed(4)} s`,
				);
			}
		});
	}
}

for (const format of ['mp4', 'ts'] as const) {
	test(`truncated → ${format}: the file decodes cleanly, the frame cut off by the end left out`, async () => {
		const output = join(OUT, `truncated.${EXTENSION[format]}`);
		const result = await remuxFile({ input: fixture('truncated'), output, format });
		assert.is(result.demux.droppedUnits, 1);
		assert.is(await ffprobeErrors(output), '');
		assert.is(await decodeErrors(output), '');
		const [input, written] = await Promise.all([probeInput('truncated'), probeStreams(output)]);
		assert.is(byType(written, 'video')!.packets, byType(input, 'video')!.packets - 1);
		assert.is(byType(written, 'audio')!.packets, byType(input, 'audio')!.packets);
	});
}

if (skipped.length > 0) console.log(`conformance rows skipped (no muxer or demuxer registered): ${skipped.join(', ')}`);

test.after(() => rmSync(OUT, { recursive: true, force: true }));

test.run();
