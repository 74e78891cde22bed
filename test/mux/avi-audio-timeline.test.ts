/**
 * AVI audio has no timestamps: its clock is the count of chunks. These tests drop audio frames (as
 * loss upstream does) or start the audio late, mux to AVI, and check with ffprobe/ffmpeg what a
 * user checks: the A/V offset at the start and the end is the input's within one audio frame, the
 * file decodes with no error, and what stands in for the lost frames decodes to silence.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { AviMuxer } from '../../mux/avi/avi-muxer.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { decodeErrors, type ProbedStream, probeStreams } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { demuxTs, ffmpegMake, H264_FAST, lavfiInputs } from '../helpers/ts-media.ts';

const OUT = tempDir('avi-audio-timeline');
mkdirSync(OUT, { recursive: true });
const RATE = 48_000;
/** Audio frames dropped: 20 to 24 (five frames, about 0.1 s in). */
const LOST_FROM = 20;
const LOST = 5;

type Input = { tracks: readonly Track[]; packets: readonly Packet[]; audio: Track };

const tsInput = async (name: string, audioArgs: readonly string[]): Promise<Input> => {
	const ts = await ffmpegMake(
		[...lavfiInputs(2, RATE), ...H264_FAST, '-g', '25', ...audioArgs, '-f', 'mpegts'],
		join(OUT, `${name}.ts`),
	);
	const { collector } = demuxTs(ts);
	const tracks = collector.tracks;
	const audio = tracks.find((t) => t.kind === 'audio')!;
	return { tracks, packets: collector.packets, audio };
};

const mux = async (input: Input, name: string, keep: (audioIndex: number) => boolean) => {
	const path = join(OUT, name);
	const sink = new FileSink(path);
	const muxer = new AviMuxer(input.tracks, sink);
	let audioIndex = 0;
	for (const p of input.packets) {
		if (keep(p.trackId === input.audio.id ? audioIndex++ : -1)) muxer.writePacket(p);
	}
	muxer.finish();
	await sink.close();
	return { path, stats: muxer.stats };
};

/** Keeps video (index −1) and every audio frame but the lost ones. */
const lose = (audioIndex: number): boolean => audioIndex < LOST_FROM || audioIndex >= LOST_FROM + LOST;

const byKind = (streams: ProbedStream[], kind: string): ProbedStream => streams.find((s) => s.codecType === kind)!;
const lastDts = (s: ProbedStream): number => Math.max(...s.dts);

/** Audio end minus video end, by the last packet's time (video by DTS: AVI has no video PTS). */
const endOffset = (streams: ProbedStream[]): number =>
	Math.max(...byKind(streams, 'audio').pts) - lastDts(byKind(streams, 'video'));
const startOffset = (streams: ProbedStream[]): number =>
	byKind(streams, 'audio').firstPts - Math.min(...byKind(streams, 'video').dts);

/** The decoded audio's peak absolute sample (16-bit) over [from, from + seconds). */
const peak = async (file: string, from: number, seconds: number): Promise<number> => {
	const pcm = join(OUT, `${file.split('/').pop()}-${from}.raw`);
	const args = ['-nostdin', '-v', 'error', '-y', '-i', file, '-map', '0:a', '-ac', '1', '-f', 's16le', pcm];
	const result = await run('ffmpeg', args);
	assert.is(result.code, 0, result.stderr);
	const bytes = readFileSync(pcm);
	const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
	let max = 0;
	const end = Math.min(samples.length, Math.round((from + seconds) * RATE));
	for (let i = Math.round(from * RATE); i < end; i++) max = Math.max(max, Math.abs(samples[i]!));
	return max;
};

for (const [codec, args, samples] of [
	['aac', ['-c:a', 'aac', '-b:a', '64k'], 1024],
	['mp2', ['-c:a', 'mp2', '-b:a', '128k'], 1152],
	['mp3', ['-c:a', 'libmp3lame', '-b:a', '64k'], 1152],
] as const) {
	test(`${codec}: frames lost mid-stream are replaced by silent frames, the A/V offset at the end is kept`, async () => {
		const input = await tsInput(codec, args);
		const frame = samples / RATE;
		const whole = await mux(input, `${codec}-whole.avi`, () => true);
		const { path, stats } = await mux(input, `${codec}-lost.avi`, lose);
		assert.is(stats.silentFrames.get(input.audio.id), LOST, 'silent frames counted');
		assert.is(await decodeErrors(path), '');
		const [before, after] = await Promise.all([probeStreams(whole.path), probeStreams(path)]);
		assert.is(byKind(after, 'audio').packets, byKind(before, 'audio').packets, 'audio frames: as many as sent');
		assert.ok(Math.abs(startOffset(after) - startOffset(before)) <= frame + 1e-3, 'A/V offset at the start');
		const drift = endOffset(after) - endOffset(before);
		assert.ok(Math.abs(drift) <= frame + 1e-3, `A/V offset at the end moved by ${drift.toFixed(3)} s`);
		// The tone is loud before the gap; inside it (one frame in, clear of the decoder's overlap) nothing.
		const gapStart = byKind(after, 'audio').pts[LOST_FROM]! - byKind(after, 'audio').firstPts;
		assert.ok((await peak(path, gapStart - 2 * frame, frame)) > 1000, 'the tone before the gap');
		assert.is(await peak(path, gapStart + frame, (LOST - 2) * frame), 0, 'silence in the gap');
	});
}

test('ac3: a gap with no silent frame is counted, and the rest still decodes', async () => {
	const input = await tsInput('ac3', ['-c:a', 'ac3', '-b:a', '96k']);
	const { path, stats } = await mux(input, 'ac3-lost.avi', lose);
	assert.is(stats.unfilledGaps.get(input.audio.id), 1);
	assert.is(stats.silentFrames.get(input.audio.id), undefined);
	assert.is(await decodeErrors(path), '');
});

test('audio that starts 1.5 s after the video keeps its start (strh dwStart)', async () => {
	const input = await tsInput('late', ['-c:a', 'aac', '-b:a', '64k']);
	const late = Math.round(1.5 * RATE);
	const shifted = input.packets
		.filter((p) => p.trackId !== input.audio.id || p.dts < input.packets.at(-1)!.dts - late)
		.map((p) => (p.trackId === input.audio.id ? { ...p, dts: p.dts + late, pts: p.pts + late } : p));
	shifted.sort((a, b) => a.dts / trackOf(input, a).timescale - b.dts / trackOf(input, b).timescale);
	const { path, stats } = await mux({ ...input, packets: shifted }, 'late.avi', () => true);
	assert.is(stats.silentFrames.size, 0, 'a late start is not a gap');
	const whole = await mux(input, 'late-whole.avi', () => true);
	const expected = startOffset(await probeStreams(whole.path)) + 1.5;
	const offset = startOffset(await probeStreams(path));
	assert.ok(Math.abs(offset - expected) <= 1024 / RATE, `audio starts ${offset.toFixed(3)} s, not ${expected} s`);
	assert.is(await decodeErrors(path), '');
});

test('a video frame lost among the first ones does not lower the frame rate: the video keeps its end', async () => {
	const input = await tsInput('video-loss', ['-c:a', 'aac', '-b:a', '64k']);
	const video = input.tracks.find((t) => t.kind === 'video')!;
	const third = input.packets.filter((p) => p.trackId === video.id)[3]!;
	const whole = await mux(input, 'video-whole.avi', () => true);
	const lost = await mux({ ...input, packets: input.packets.filter((p) => p !== third) }, 'video-lost.avi', () => true);
	const [before, after] = await Promise.all([probeStreams(whole.path), probeStreams(lost.path)]);
	assert.is(lastDts(byKind(after, 'video')), lastDts(byKind(before, 'video')));
	assert.ok(Math.abs(endOffset(after) - endOffset(before)) <= 1024 / RATE + 1e-3, 'A/V offset at the end');
});

const trackOf = (input: Input, p: Packet): Track => input.tracks.find((t) => t.id === p.trackId)!;

test.run();
