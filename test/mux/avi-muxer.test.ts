import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { AviMuxer, type AviMuxerOptions } from '../../mux/avi/avi-muxer.ts';
import type { Track } from '../../src/core/track.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import {
	decodeErrors,
	ffprobeErrors,
	formatDuration,
	mediainfoTracks,
	type ProbedStream,
	probeStreams,
	seekOneFrame,
} from '../helpers/media-check.ts';
import { fixtureMp4Source } from '../helpers/mp4-source.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { demuxFlv, demuxTs, type Source, writeAll } from './flv-source.ts';

const OUT = tempDir('avi-muxer');
mkdirSync(OUT, { recursive: true });

const muxAvi = async (input: Source, name: string, options: AviMuxerOptions = {}): Promise<string> => {
	const path = join(OUT, name);
	const sink = new FileSink(path);
	writeAll(new AviMuxer(input.tracks, sink, options), input.packets);
	await sink.close();
	return path;
};

const fromTs = (name: 'h265-aac48' | 'h264-mp3' | 'h264-ac3' | 'h264-aac48'): Source => fixtureMp4Source(name, OUT);

const byKind = (streams: ProbedStream[], kind: string): ProbedStream => streams.find((s) => s.codecType === kind)!;

/** AVI cannot place a stream's start finer than one of its frames: half an audio frame of slack. */
const startOffset = (streams: ProbedStream[]): number =>
	byKind(streams, 'audio').firstPts - Math.min(...byKind(streams, 'video').dts);

const assertSameMedia = async (source: string, out: string, audioFrameSeconds: number): Promise<void> => {
	assert.is(await ffprobeErrors(out), '');
	assert.is(await decodeErrors(out), '');
	const [before, after] = await Promise.all([probeStreams(source), probeStreams(out)]);
	for (const kind of ['video', 'audio']) {
		const a = byKind(before, kind);
		const b = byKind(after, kind);
		assert.is(b.packets, a.packets, `${kind} packets`);
		assert.is(b.keyframes, kind === 'video' ? a.keyframes : b.packets, `${kind} keyframes`);
		const frame = kind === 'video' ? 0.04 : audioFrameSeconds;
		assert.ok(Math.abs(b.duration - a.duration) <= frame + 1e-6, `${kind} duration ${b.duration} vs ${a.duration}`);
	}
	const offset = Math.abs(startOffset(after) - startOffset(before));
	assert.ok(offset <= audioFrameSeconds / 2 + 0.001, `A/V offset moved by ${offset}`);
};

test('FLV (H.264 + AAC) → AVI: clean, same packets, durations within a frame, A/V offset kept', async () => {
	const source = fixture('h264-aac48-flv');
	const out = await muxAvi(demuxFlv(readFileSync(source)), 'flv.avi');
	await assertSameMedia(source, out, 1024 / 48_000);
	const seek = await seekOneFrame(out, 2);
	assert.is(seek.stderr.trim(), '');
	const tracks = await mediainfoTracks(out);
	assert.is(tracks.find((t) => t['@type'] === 'Video')?.['Format'], 'AVC');
	assert.is(tracks.find((t) => t['@type'] === 'Audio')?.['Format'], 'AAC');
	assert.is(tracks.find((t) => t['@type'] === 'Video')?.['FrameRate'], '25.000');
	assert.ok(Math.abs(Number(tracks.find((t) => t['@type'] === 'General')?.['Duration']) - 4.03) < 0.05);
});

test('TS (H.264 + AAC, through TsDemuxer) → AVI', async () => {
	const out = await muxAvi(demuxTs(readFileSync(fixture('h264-aac48'))), 'from-ts.avi');
	await assertSameMedia(fixture('h264-aac48'), out, 1024 / 48_000);
});

test('TS H.265 + AAC → AVI', async () => {
	const out = await muxAvi(fromTs('h265-aac48'), 'h265.avi');
	await assertSameMedia(fixture('h265-aac48'), out, 1024 / 48_000);
	const [video] = await probeStreams(out);
	assert.is(video?.codecName, 'hevc');
});

test('TS H.264 + MP3 and H.264 + AC-3 → AVI', async () => {
	const mp3 = await muxAvi(fromTs('h264-mp3'), 'mp3.avi');
	await assertSameMedia(fixture('h264-mp3'), mp3, 1152 / 48_000);
	assert.is(byKind(await probeStreams(mp3), 'audio').codecName, 'mp3');
	const ac3 = await muxAvi(fromTs('h264-ac3'), 'ac3.avi');
	await assertSameMedia(fixture('h264-ac3'), ac3, 1536 / 48_000);
	assert.is(byKind(await probeStreams(ac3), 'audio').codecName, 'ac3');
});

test('FLV with MP3 → AVI', async () => {
	const source = fixture('h264-mp3-flv');
	const out = await muxAvi(demuxFlv(readFileSync(source)), 'flv-mp3.avi');
	await assertSameMedia(source, out, 1152 / 44_100);
});

test('a lowered RIFF limit gives AVIX RIFFs with OpenDML indexes, and every frame is still found', async () => {
	const source = fixture('h264-aac48-flv');
	const out = await muxAvi(demuxFlv(readFileSync(source)), 'odml.avi', { riffSizeLimit: 64 * 1024 });
	await assertSameMedia(source, out, 1024 / 48_000);
	const bytes = readFileSync(out);
	const riffs = walkRiffs(bytes);
	assert.ok(riffs.length >= 3, `${riffs.length} RIFFs`);
	assert.is(riffs[0]!.type, 'AVI ');
	for (const riff of riffs.slice(1)) assert.is(riff.type, 'AVIX');
	for (const riff of riffs) assert.ok(riff.size <= 64 * 1024, `RIFF of ${riff.size} bytes`);
	// Each stream's super index lists one standard index per RIFF, whose entries point at its chunks.
	const probed = await probeStreams(out);
	for (const [stream, id] of [
		[0, '00dc'],
		[1, '01wb'],
	] as const) {
		const entries = superIndexEntries(bytes, stream);
		assert.is(entries.length, riffs.length);
		let chunks = 0;
		for (const entry of entries) {
			assert.is(bytes.toString('latin1', entry.offset, entry.offset + 4), `ix0${stream}`);
			const count = bytes.readUInt32LE(entry.offset + 12);
			const base = Number(bytes.readBigUInt64LE(entry.offset + 20));
			assert.is(entry.duration, count);
			for (let i = 0; i < count; i++) {
				const offset = base + bytes.readUInt32LE(entry.offset + 32 + 8 * i);
				assert.is(bytes.toString('latin1', offset - 8, offset - 4), id);
				assert.is(bytes.readUInt32LE(offset - 4), bytes.readUInt32LE(entry.offset + 36 + 8 * i) & 0x7fffffff);
			}
			chunks += count;
		}
		assert.is(chunks, probed[stream]!.packets);
	}
	// dmlh holds the total frame count, avih only the first RIFF's.
	const dmlh = bytes.indexOf('dmlh');
	assert.is(bytes.readUInt32LE(dmlh + 8), probed[0]!.packets);
	assert.ok(Math.abs((await formatDuration(out)) - 4.03) < 0.05);
});

test('unsupported codecs and bad options are rejected before any byte is written', () => {
	const sink = new MemorySink();
	const opus: Track = { id: 1, kind: 'audio', codec: 'opus', timescale: 48_000, config: new Uint8Array(0), name: 'a' };
	assert.throws(() => new AviMuxer([opus], sink), /opus cannot be written to avi/);
	const { tracks } = demuxFlv(readFileSync(fixture('h264-aac48-flv')));
	assert.throws(() => new AviMuxer(tracks, sink, { riffSizeLimit: 1000 }), /riffSizeLimit must be/);
	assert.is(sink.position, 0);
});

type Riff = { at: number; size: number; type: string };

const walkRiffs = (bytes: Buffer): Riff[] => {
	const riffs: Riff[] = [];
	for (let at = 0; at + 12 <= bytes.length; ) {
		assert.is(bytes.toString('latin1', at, at + 4), 'RIFF');
		const size = bytes.readUInt32LE(at + 4);
		riffs.push({ at, size, type: bytes.toString('latin1', at + 8, at + 12) });
		at += 8 + size;
	}
	return riffs;
};

/** The entries of stream `n`'s 'indx' chunk (the n-th in the file). */
const superIndexEntries = (bytes: Buffer, n: number) => {
	let at = -1;
	for (let i = 0; i <= n; i++) at = bytes.indexOf('indx', at + 1);
	const used = bytes.readUInt32LE(at + 12);
	return Array.from({ length: used }, (_, i) => ({
		offset: Number(bytes.readBigUInt64LE(at + 32 + 16 * i)),
		size: bytes.readUInt32LE(at + 40 + 16 * i),
		duration: bytes.readUInt32LE(at + 44 + 16 * i),
	}));
};

test.run();
