/**
 * Split files from h264-aac48-10s (keyframe every second), cut every 3000 ms of media, under both
 * segmentation rules, plus a schedule split driven by an injected clock. Each file must start with
 * a keyframe and decode alone; together they must hold every packet of the input.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer, DEMUXER_KINDS } from '../../ingest/demux/create-demuxer.ts';
import { MUXER_FORMATS } from '../../mux/create-muxer.ts';
import type { ContainerFormat } from '../../mux/muxer.ts';
import { openInputFile, pumpInputFile } from '../../src/cli/input-file.ts';
import { remuxFile } from '../../src/cli/remux.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { type SegmentInfo, SegmentWriter } from '../../src/recorder/segment-writer.ts';
import type { SegmentationRule } from '../../src/recorder/segmentation-rule.ts';
import { SplitPolicy } from '../../src/recorder/split-policy.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { avOffsetMismatches, decodeErrors, type ProbedStream, probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Outside the tree, new each run: remux and recordings never replace a file, so none may be left over. */
const OUT = tempDir('split');
const FORMATS = (['ts', 'mp4', 'mov', 'fmp4'] as const).filter((f) => MUXER_FORMATS.includes(f));
/**
 * Formats whose files keep the decode times they are given, so a continuity file can start where
 * the last ended: TS by its PTS/DTS, progressive MP4/MOV by an initial empty edit as long as the
 * first PTS (like ffmpeg with -copyts), fragmented MP4 by tfdt.
 */
const KEEPS_TIMELINE: readonly ContainerFormat[] = ['ts', 'mp4', 'mov', 'fmp4'];
const FRAME_S = 0.04;

const byType = (streams: ProbedStream[], type: string) => streams.find((s) => s.codecType === type)!;
const startsWithKeyframe = (s: ProbedStream) => s.keyframePts.length > 0 && s.keyframePts[0] === s.pts[0];
const near = (actual: number, expected: number, tolerance: number, what: string) =>
	assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected} (±${tolerance})`);

/** Checks what every split must satisfy and returns each file's streams. */
const checkFiles = async (paths: readonly string[], input: ProbedStream[]) => {
	const files = await Promise.all(paths.map((path) => probeStreams(path)));
	for (const [i, path] of paths.entries()) {
		assert.ok(startsWithKeyframe(byType(files[i]!, 'video')), `${path} starts with a keyframe`);
		assert.is(await decodeErrors(path), '', `${path} decodes alone`);
	}
	for (const type of ['video', 'audio']) {
		const source = byType(input, type);
		const streams = files.map((f) => byType(f, type));
		assert.is(
			streams.reduce((n, s) => n + s.packets, 0),
			source.packets,
			`${type} packets of all files add up to the input's`,
		);
		const frame = source.duration / source.packets;
		near(
			streams.reduce((sum, s) => sum + s.duration, 0),
			source.duration,
			frame * paths.length + 1e-3,
			`${type} durations add up`,
		);
	}
	assert.equal(avOffsetMismatches(input, files), [], 'A/V offsets as in the input, within 1 ms');
	return files;
};

const splitRun = async (format: ContainerFormat, rule: SegmentationRule) => {
	const output = join(OUT, `split-${rule}-\${Sequence}.${format === 'fmp4' ? 'frag.mp4' : format}`);
	const result = await remuxFile({
		input: fixture('h264-aac48-10s'),
		output,
		format,
		splitIntervalMs: 3000,
		segmentationRule: rule,
	});
	return result.files.map((f) => f.path);
};

if (!DEMUXER_KINDS.includes('ts')) console.log('split tests skipped: no MPEG-TS demuxer registered');
for (const format of DEMUXER_KINDS.includes('ts') ? FORMATS : []) {
	test(`${format}: split every 3000 ms, discontinuity: every file starts at ~0`, async () => {
		const input = await probeStreams(fixture('h264-aac48-10s'));
		const paths = await splitRun(format, 'discontinuity');
		assert.is(paths.length, 4, 'cuts at the keyframes at 3, 6 and 9 s');
		const files = await checkFiles(paths, input);
		const starts = files.map((f) => Math.min(...byType(f, 'video').dts));
		// ~0: within a few frames of file 0 (edit lists shift each file by its own A/V and B-frame delay).
		for (const start of starts) near(start, starts[0]!, 0.1, 'first video DTS near file 0 (the format origin)');
		assert.ok(starts[0]! < 2, `the origin is near 0: ${starts[0]}`);
	});

	if (!KEEPS_TIMELINE.includes(format)) continue;
	test(`${format}: split every 3000 ms, continuity: each file carries on from the previous`, async () => {
		const input = await probeStreams(fixture('h264-aac48-10s'));
		const paths = await splitRun(format, 'continuity');
		assert.is(paths.length, 4);
		const files = await checkFiles(paths, input);
		for (let i = 1; i < files.length; i++) {
			for (const type of ['video', 'audio']) {
				const [previous, next] = [byType(files[i - 1]!, type), byType(files[i]!, type)];
				// ffprobe's start time (first PTS) of file N+1 is the presentation end of file N.
				const tolerance = type === 'video' ? 0.001 : previous.duration / previous.packets;
				near(next.firstPts, previous.firstPts + previous.duration, tolerance, `${type} of file ${i} carries on`);
			}
			const previous = byType(files[i - 1]!, 'video');
			const end = Math.max(...previous.dts) + FRAME_S;
			near(Math.min(...byType(files[i]!, 'video').dts), end, FRAME_S, `file ${i} starts where file ${i - 1} ended`);
		}
	});
}

/** Feeds the file through a SegmentWriter whose wall clock runs with the media: 13:00:00 UTC at the first packet. */
class MediaClock {
	#first: number | undefined;
	#seconds = 0;
	readonly base = Date.parse('2026-11-22T13:00:00Z');

	observe(packet: Packet, track: Track | undefined): void {
		if (track?.kind !== 'video') return;
		const seconds = packet.dts / track.timescale;
		this.#first ??= seconds;
		this.#seconds = seconds - this.#first;
	}

	now = (): Date => new Date(this.base + Math.round(this.#seconds * 1000));
}

if (DEMUXER_KINDS.includes('ts') && FORMATS.length > 0) {
	test('schedule "*/3 * *" with an injected clock cuts at the first keyframe at or after each tick', async () => {
		const format = FORMATS[0]!;
		const clock = new MediaClock();
		const closed: SegmentInfo[] = [];
		const writer = new SegmentWriter({
			format,
			segmentationRule: 'discontinuity',
			split: new SplitPolicy({ schedule: '*/3 * *', timeZone: 'UTC' }),
			now: clock.now,
			openSegment: (sequence) => {
				const path = join(OUT, `schedule-${sequence}.${format}`);
				return { sink: new FileSink(path), path };
			},
			onSegmentClosed: (info) => closed.push(info),
		});
		let tracks: readonly Track[] = [];
		const demuxer = createDemuxer('ts', {
			announce: (announced) => {
				tracks = announced;
				writer.announce(announced);
			},
			push: (packet) => {
				clock.observe(
					packet,
					tracks.find((t) => t.id === packet.trackId),
				);
				writer.push(packet);
			},
		});
		await pumpInputFile(openInputFile(fixture('h264-aac48-10s')), demuxer);
		await writer.close();
		assert.is(writer.error, undefined);
		assert.equal(
			closed.map((c) => c.startedAt.toISOString().slice(11, 19)),
			['13:00:00', '13:00:03', '13:00:06', '13:00:09'],
		);
		for (const info of closed) {
			assert.ok(
				startsWithKeyframe(byType(await probeStreams(info.path), 'video')),
				`${info.path} starts with a keyframe`,
			);
		}
	});
}

test.after(() => rmSync(OUT, { recursive: true, force: true }));

test.run();
