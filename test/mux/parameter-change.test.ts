/**
 * New parameters in the middle of a recording (`Muxer.updateTrack`): H.264 from 320x180 to 480x270
 * and AAC from mono to stereo at the same rate, made by ffmpeg. TS and FLV carry on in the same file
 * (new PMT version / new sequence headers): ffmpeg decodes every frame cleanly, at its own size, and
 * every audio packet. Every MP4 flavour and AVI answer that a new file is needed (players follow
 * one sample description per track) and the file written so far stays whole.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { createMuxer } from '../../mux/create-muxer.ts';
import type { ContainerFormat } from '../../mux/muxer.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { EXTENSION } from '../helpers/container-extension.ts';
import { decodeErrors, probeStreams } from '../helpers/media-check.ts';
import { type Mp4Source, readMp4Source } from '../helpers/mp4-source.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('parameters');

/** One second of H.264 (B-frames) + AAC at `size`, `channels`, `rate`, read into packets. */
const part = (name: string, size: string, channels: number, rate = 48_000): Mp4Source => {
	const path = join(dir, `${name}.mp4`);
	const result = spawnSync(
		'ffmpeg',
		// biome-ignore format: option pairs
		['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-f', 'lavfi',
		 '-i', `sine=frequency=440:sample_rate=${rate}`, '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2',
		 '-g', '25', '-c:a', 'aac', '-ac', String(channels), path],
		{ encoding: 'utf8', timeout: 60_000 },
	);
	if (result.status !== 0) throw new Error(`ffmpeg: ${result.stderr}`);
	return readMp4Source(path);
};

const first = part('first', '320x180', 1);
const second = part('second', '480x270', 2);
const otherRate = part('other-rate', '320x180', 1, 44_100);

/** `next`'s packets moved to start where `previous` ends, a little later than its last packet. */
const after = (previous: Mp4Source, next: Mp4Source): Packet[] => {
	const ends = new Map(previous.tracks.map((t) => [t.id, 1.1 * t.timescale]));
	return next.packets.map((p) => ({ ...p, dts: p.dts + ends.get(p.trackId)!, pts: p.pts + ends.get(p.trackId)! }));
};

/** Writes `first`, re-announces `next`'s tracks, writes `next`; returns the outcomes. */
const record = async (format: ContainerFormat, next: Mp4Source, file: string): Promise<string[]> => {
	const sink = new FileSink(file);
	const muxer = createMuxer(format, first.tracks, sink);
	muxer.writeHeader();
	for (const packet of first.packets) muxer.writePacket(packet);
	const outcomes = next.tracks.map((track: Track) => muxer.updateTrack(track).outcome);
	if (outcomes.every((o) => o === 'continued')) for (const packet of after(first, next)) muxer.writePacket(packet);
	muxer.finish();
	await sink.close();
	return outcomes;
};

/** Decoded video frame sizes, in order. */
const frameSizes = async (file: string): Promise<string[]> => {
	const probe = await run('ffprobe', [
		'-v',
		'error',
		'-select_streams',
		'v',
		'-show_entries',
		'frame=width,height',
		'-of',
		'csv=p=0',
		file,
	]);
	// one `width,height` line per frame (ffprobe may add a trailing comma and blank lines for side data)
	return probe.stdout
		.split('\n')
		.map((line) => line.replace(/,+$/, ''))
		.filter((line) => line !== '');
};

for (const format of ['ts', 'flv'] as const) {
	test(`${format}: a resolution and channel change carries on in the same file, every frame decoded at its size`, async () => {
		const file = join(dir, `changed.${EXTENSION[format]}`);
		assert.equal(await record(format, second, file), ['continued', 'continued']);
		assert.is(await decodeErrors(file), '');
		const count = (source: Mp4Source, kind: string) =>
			source.packets.filter((p) => source.tracks.find((t) => t.id === p.trackId)!.kind === kind).length;
		const streams = await probeStreams(file);
		assert.equal(
			streams.map((s) => [s.codecType, s.packets]),
			[
				['video', count(first, 'video') + count(second, 'video')],
				['audio', count(first, 'audio') + count(second, 'audio')],
			],
		);
		const sizes = await frameSizes(file);
		assert.equal(sizes, [
			...new Array<string>(count(first, 'video')).fill('320,180'),
			...new Array<string>(count(second, 'video')).fill('480,270'),
		]);
	});
}

for (const format of ['mp4', 'mov', 'fmp4', 'avi'] as const) {
	test(`${format}: a new file is asked for, and the file written so far stays whole`, async () => {
		const file = join(dir, `declined.${EXTENSION[format]}`);
		const outcomes = await record(format, second, file);
		assert.equal(outcomes, ['new-file', 'new-file']);
		assert.is(await decodeErrors(file), '');
		assert.equal(
			(await probeStreams(file)).map((s) => s.packets),
			first.tracks.map((t) => first.packets.filter((p) => p.trackId === t.id).length),
		);
	});
}

for (const format of ['mp4', 'mov'] as const) {
	test(`${format}: the reason for a new file names the old and the new parameters`, async () => {
		const sink = new FileSink(join(dir, `rate.${format}`));
		const muxer = createMuxer(format, first.tracks, sink);
		const update = muxer.updateTrack(otherRate.tracks[1]!);
		assert.is(update.outcome, 'new-file');
		assert.match(update.outcome === 'new-file' ? update.reason : '', /aac 48000 Hz .* → aac 44100 Hz/);
		muxer.finish();
		await sink.close();
	});
}

test('ts: a track announced late joins the file under a new PMT version', async () => {
	const file = join(dir, 'late.ts');
	const sink = new FileSink(file);
	const video = first.tracks.find((t) => t.kind === 'video')!;
	const muxer = createMuxer('ts', [video], sink);
	muxer.writeHeader();
	const late = first.packets.filter((p) => p.trackId !== video.id);
	for (const packet of first.packets.filter((p) => p.trackId === video.id)) muxer.writePacket(packet);
	assert.is(muxer.updateTrack(first.tracks.find((t) => t.kind === 'audio')!).outcome, 'continued');
	for (const packet of after(first, { ...first, packets: late })) muxer.writePacket(packet);
	muxer.finish();
	await sink.close();
	assert.is(await decodeErrors(file), '');
	assert.equal(
		(await probeStreams(file)).map((s) => [s.codecType, s.packets]),
		[
			['video', first.packets.length - late.length],
			['audio', late.length],
		],
	);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
