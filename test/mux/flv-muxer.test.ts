import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { FlvDemuxer } from '../../ingest/demux/flv/flv-demuxer.ts';
import { FlvMuxer } from '../../mux/flv/flv-muxer.ts';
import type { AmfValue } from '../../src/bytes/amf0.ts';
import type { Track } from '../../src/core/track.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import {
	decodeErrors,
	ffprobeErrors,
	formatDuration,
	mediainfoTracks,
	probeStreams,
	seekOneFrame,
} from '../helpers/media-check.ts';
import { readMp4Source, remux } from '../helpers/mp4-source.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { demuxFlv, demuxTs, type Source, writeAll } from './flv-source.ts';

const OUT = tempDir('flv-muxer');
mkdirSync(OUT, { recursive: true });

const muxToFile = async (input: Source, name: string, options = {}): Promise<string> => {
	const path = join(OUT, name);
	const sink = new FileSink(path);
	writeAll(new FlvMuxer(input.tracks, sink, options), input.packets);
	await sink.close();
	return path;
};

for (const [name, audioFormat] of [
	['h264-aac48-flv', 'AAC'],
	['h264-mp3-flv', 'MPEG Audio'],
] as const) {
	test(`FLV → FLV round trip (${name}): clean, same packets, same timestamps, metadata duration and keyframes`, async () => {
		const source = fixture(name);
		const input = demuxFlv(readFileSync(source));
		const out = await muxToFile(input, `${name}.flv`);
		assert.is(await ffprobeErrors(out), '');
		assert.is(await decodeErrors(out), '');
		const [before, after] = await Promise.all([probeStreams(source), probeStreams(out)]);
		for (const kind of ['video', 'audio']) {
			const a = before.find((s) => s.codecType === kind)!;
			const b = after.find((s) => s.codecType === kind)!;
			assert.is(b.codecName, a.codecName);
			assert.is(b.packets, a.packets, `${kind} packets`);
			assert.is(b.keyframes, a.keyframes, `${kind} keyframes`);
			// Audio ticks sit on an exact frame grid anchored at the first (rounded) millisecond, so a
			// timestamp may round to the neighbouring millisecond on the way back out.
			const tolerance = kind === 'audio' ? 0.0011 : 0;
			for (const [i, pts] of b.pts.entries()) assert.ok(Math.abs(pts - a.pts[i]!) <= tolerance, `${kind} pts ${i}`);
			for (const [i, dts] of b.dts.entries()) assert.ok(Math.abs(dts - a.dts[i]!) <= tolerance, `${kind} dts ${i}`);
		}
		// Metadata: duration close to the media, keyframes pointing at video keyframe tags.
		const output = readFileSync(out);
		const reread = demuxFlv(output);
		const meta = reread.demuxer.metadata!;
		const duration = meta['duration'] as number;
		assert.ok(Math.abs(duration - (await formatDuration(source))) <= 0.041, `duration ${duration}`);
		assert.ok(Math.abs((await formatDuration(out)) - duration) < 0.001, 'ffprobe reads our duration');
		assert.is(meta['filesize'], output.length);
		assert.is(meta['framerate'], 25);
		const keyframes = meta['keyframes'] as { times: AmfValue[]; filepositions: AmfValue[] };
		const videoKeys = before.find((s) => s.codecType === 'video')!.keyframePts.length;
		assert.is(keyframes.times.length, videoKeys);
		keyframes.filepositions.forEach((position, i) => {
			const at = position as number;
			assert.is(output[at], 9, 'a video tag');
			assert.is(output[at + 11]! >> 4, 1, 'a keyframe');
			const ts = (output[at + 4]! << 16) | (output[at + 5]! << 8) | output[at + 6]!;
			assert.is(ts / 1000, keyframes.times[i]);
		});
		// Seeking uses the index: no errors, and it lands on a frame.
		const seek = await seekOneFrame(out, 2);
		assert.is(seek.code, 0);
		assert.is(seek.stderr.trim(), '');
		const tracks = await mediainfoTracks(out);
		const general = tracks.find((t) => t['@type'] === 'General')!;
		assert.ok(Math.abs(Number(general['Duration']) - duration) < 0.05, `mediainfo duration ${general['Duration']}`);
		assert.is(tracks.find((t) => t['@type'] === 'Video')?.['Format'], 'AVC');
		assert.is(tracks.find((t) => t['@type'] === 'Audio')?.['Format'], audioFormat);
	});
}

test('TS (H.264 + AAC, through TsDemuxer) → FLV: clean, same packets, durations within a frame, A/V offset within 1 ms', async () => {
	const source = fixture('h264-aac48');
	const out = await muxToFile(demuxTs(readFileSync(source)), 'from-ts.flv');
	assert.is(await ffprobeErrors(out), '');
	assert.is(await decodeErrors(out), '');
	const [before, after] = await Promise.all([probeStreams(source), probeStreams(out)]);
	const offset = (streams: typeof before) =>
		streams.find((s) => s.codecType === 'audio')!.firstPts - streams.find((s) => s.codecType === 'video')!.firstPts;
	for (const kind of ['video', 'audio']) {
		const a = before.find((s) => s.codecType === kind)!;
		const b = after.find((s) => s.codecType === kind)!;
		assert.is(b.packets, a.packets, `${kind} packets`);
		assert.is(b.keyframes, a.keyframes, `${kind} keyframes`);
		assert.ok(Math.abs(b.duration - a.duration) <= 0.04, `${kind} duration ${b.duration} vs ${a.duration}`);
	}
	assert.ok(Math.abs(offset(after) - offset(before)) <= 0.001, `A/V offset ${offset(after)} vs ${offset(before)}`);
});

test('a new track version re-sends its sequence header, which the demuxer announces as a new version', () => {
	const input = demuxFlv(readFileSync(fixture('h264-aac48-flv')));
	const audio = input.tracks.find((t) => t.kind === 'audio')!;
	const sink = new MemorySink();
	const muxer = new FlvMuxer(input.tracks, sink);
	muxer.writeHeader();
	const half = input.packets.length >> 1;
	for (const p of input.packets.slice(0, half)) muxer.writePacket(p);
	// AAC LC, 48 kHz, channelConfiguration 1 instead of 2.
	muxer.updateTrack({ ...audio, config: Uint8Array.of(0x11, 0x88), audio: { sampleRate: 48_000, channels: 1 } });
	for (const p of input.packets.slice(half)) muxer.writePacket(p);
	muxer.finish();
	const announcements: number[] = [];
	const demuxer = new FlvDemuxer({
		announce: (tracks) => announcements.push(tracks.find((t) => t.kind === 'audio')?.audio?.channels ?? 0),
		push: () => {},
	});
	demuxer.push(sink.bytes());
	demuxer.end();
	assert.equal(announcements, [2, 1]);
});

test('keyframe index thins itself past its capacity and still spans the file', async () => {
	const input = demuxFlv(readFileSync(fixture('h264-aac48-flv')));
	const sink = new MemorySink();
	const muxer = new FlvMuxer(input.tracks, sink, { keyframeIndexCapacity: 2 });
	muxer.writeHeader();
	for (const p of input.packets) muxer.writePacket(p);
	muxer.finish();
	const meta = demuxFlv(sink.bytes()).demuxer.metadata!;
	const keyframes = meta['keyframes'] as { times: number[] };
	assert.equal(keyframes.times, [0, 2]);
});

test('TS H.265 + AAC → FLV (Enhanced RTMP hvc1) → our demuxer: same tracks, packets and timestamps', () => {
	const mp4 = remux(fixture('h265-aac48'), join(OUT, 'h265-aac48.mp4'));
	const input = readMp4Source(mp4);
	const sink = new MemorySink();
	const muxer = new FlvMuxer(input.tracks, sink);
	muxer.writeHeader();
	for (const p of input.packets) muxer.writePacket(p);
	muxer.finish();
	const back = demuxFlv(sink.bytes());
	assert.is(back.demuxer.stats.droppedUnits, 0);
	const video = back.tracks.find((t) => t.kind === 'video')!;
	const source = input.tracks.find((t) => t.kind === 'video')!;
	assert.is(video.codec, 'h265');
	assert.equal(video.config, source.config);
	assert.equal(video.video, { width: 320, height: 240 });
	const ms = (ticks: number, scale: number) => Math.round((ticks * 1000) / scale);
	const sent = input.packets.filter((p) => p.trackId === source.id);
	const got = back.packets.filter((p) => p.trackId === video.id);
	assert.equal(
		got.map((p) => [p.dts / 90, p.pts / 90, p.keyframe, p.data.length]),
		sent.map((p) => [ms(p.dts, source.timescale), ms(p.pts, source.timescale), p.keyframe, p.data.length]),
	);
	assert.is(back.packets.filter((p) => p.trackId !== video.id).length, input.packets.length - sent.length);
	assert.is(back.demuxer.metadata?.['videocodecid'], 0x68766331);
});

test('unsupported codecs and extra tracks are rejected before any byte is written', () => {
	const sink = new MemorySink();
	const opus: Track = { id: 1, kind: 'audio', codec: 'opus', timescale: 48_000, config: new Uint8Array(0), name: 'a' };
	assert.throws(() => new FlvMuxer([opus], sink), /opus cannot be written to flv/);
	const aac: Track = { ...opus, codec: 'aac' };
	assert.throws(() => new FlvMuxer([aac, { ...aac, id: 2 }], sink), /at most one video and one audio/);
	assert.is(sink.position, 0);
});

test.run();
