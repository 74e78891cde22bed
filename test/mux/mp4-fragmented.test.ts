/**
 * Fragmented MP4 and the recorder's crash-safety tools: fMP4 output is clean and exact, its
 * fragments are at most ~2 s and start with a sync sample; defragmenting it gives a clean
 * progressive MP4/MOV; a `.part` file cut at random bytes defragments into a playable file with
 * every complete fragment.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { type FixtureName, fixture } from '../../fixtures/fixtures.ts';
import { childBoxes } from '../../mux/mp4/box-reader.ts';
import { defragmentMp4 } from '../../mux/mp4/defragment.ts';
import { FragmentedMp4Muxer } from '../../mux/mp4/fragmented-mp4-muxer.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import {
	fixtureMp4Source,
	type Mp4Source,
	muxToFile,
	readMp4Source,
	remux,
	trackPackets,
} from '../helpers/mp4-source.ts';
import { assertFaithfulMp4, compareSamples, readWithMp4box } from '../helpers/mp4box-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('fmp4');
const source = (name: FixtureName): Mp4Source => fixtureMp4Source(name, dir);

/** Writes `name` as fMP4 (2 s fragments) once; returns the path. */
const fragmented = async (name: FixtureName): Promise<string> => {
	const file = join(dir, `${name}.fmp4.mp4`);
	const muxer = await muxToFile((tracks, sink) => new FragmentedMp4Muxer(tracks, sink), source(name), file);
	assert.is((muxer as FragmentedMp4Muxer).droppedPackets, 0);
	return file;
};

/** Per fragment: sample count, seconds, and whether it starts with a sync sample, for one track. */
const fragmentsOf = (file: string, trackId: number) => {
	const track = readWithMp4box(file).tracks.find((t) => t.id === trackId);
	const fragments = new Map<number, { samples: number; seconds: number; startsWithSync: boolean }>();
	for (const s of track?.samples ?? []) {
		const f = fragments.get(s.fragment) ?? { samples: 0, seconds: 0, startsWithSync: s.sync };
		f.samples++;
		f.seconds += s.duration / (track?.timescale ?? 1);
		fragments.set(s.fragment, f);
	}
	return [...fragments.values()];
};

for (const name of ['h264-aac48-10s', 'h265-aac48'] as const) {
	test(`${name} → fmp4: clean, exact, fragments ≤ 2 s starting with a keyframe`, async () => {
		const file = await fragmented(name);
		const src = source(name);
		await assertFaithfulMp4(file, fixture(name), src);
		const read = readWithMp4box(file);
		assert.ok(read.fragmented, 'mp4box sees a fragmented file');
		assert.ok(read.brands.includes('iso5'), `brands ${read.brands.join(',')}`);
		const video = fragmentsOf(file, 1);
		assert.ok(video.length >= 2, `${video.length} fragments`);
		for (const [index, f] of video.entries()) {
			assert.ok(f.startsWithSync, `fragment ${index} starts with a sync sample`);
			assert.ok(f.seconds <= 2 + 1e-9, `fragment ${index} lasts ${f.seconds} s`);
		}
		// Audio is cut with the video: its fragments may run a frame or two past the target.
		for (const f of fragmentsOf(file, 2)) assert.ok(f.seconds <= 2.15, `audio fragment ${f.seconds} s`);
	});
}

test('audio-only fmp4 is cut by duration', async () => {
	const file = await fragmented('aac44-only');
	await assertFaithfulMp4(file, fixture('aac44-only'), source('aac44-only'));
	const fragments = fragmentsOf(file, 1);
	assert.ok(fragments.length >= 2, `${fragments.length} fragments`);
	for (const f of fragments) assert.ok(f.seconds <= 2 + 1e-9, `fragment lasts ${f.seconds} s`);
});

for (const brand of ['mp4', 'mov'] as const) {
	test(`defragment a complete fmp4 into ${brand}: every fragment, clean and exact`, async () => {
		const name = 'h264-aac48-10s';
		const input = await fragmented(name);
		const output = join(dir, `${name}-defragmented.${brand}`);
		const report = await defragmentMp4(input, output, { brand });
		const src = source(name);
		assert.is(report.fragmentsKept, readWithMp4box(input).fragments);
		assert.is(report.fragmentsDropped, 0);
		assert.is(report.trailingBytes, 0);
		for (const track of src.tracks) assert.is(report.samples.get(track.id), trackPackets(src, track.id).length);
		assert.ok(Math.abs(report.durationMs - 10_000) < 100, `duration ${report.durationMs} ms`);
		await assertFaithfulMp4(output, fixture(name), src);
		assert.not.ok(readWithMp4box(output).fragmented, 'progressive output');
	});
}

/** Top-level fragments of a file held in memory: where each moof starts and its mdat ends. */
const fragmentSpans = (bytes: Uint8Array): { start: number; end: number }[] => {
	const boxes = [...childBoxes(bytes, 0, bytes.length)];
	return boxes.flatMap((box, i) => {
		const mdat = boxes[i + 1];
		return box.type === 'moof' && mdat ? [{ start: box.start, end: mdat.start + mdat.size }] : [];
	});
};

test('a .part cut at random bytes defragments into a playable file with every complete fragment', async () => {
	const name = 'h264-aac48-10s';
	const whole = readFileSync(await fragmented(name));
	const spans = fragmentSpans(whole);
	const src = source(name);
	const perFragment = src.tracks.map((t) => fragmentsOf(join(dir, `${name}.fmp4.mp4`), t.id).map((f) => f.samples));
	// A fixed-seed generator: the same cuts every run, spread over the fragments.
	let seed = 12345;
	const random = (): number => {
		seed = (seed * 1103515245 + 12345) % 2147483648;
		return seed / 2147483648;
	};
	const first = spans[0] as { start: number; end: number };
	const cuts = [
		first.end,
		...Array.from({ length: 5 }, () => first.end + Math.floor(random() * (whole.length - first.end))),
	];
	for (const cut of cuts) {
		const part = join(dir, `cut-${cut}.mp4.part`);
		writeFileSync(part, whole.subarray(0, cut));
		const output = join(dir, `cut-${cut}.mp4`);
		const report = await defragmentMp4(part, output, { brand: 'mp4' });
		const complete = spans.filter((s) => s.end <= cut).length;
		const label = `cut at ${cut} of ${whole.length}`;
		assert.is(report.fragmentsKept, complete, label);
		assert.is(report.fragmentsDropped, spans.some((s) => s.end === cut) || cut === whole.length ? 0 : 1, label);
		assert.is(await ffprobeErrors(output), '', `${label}: ffprobe`);
		assert.is(await decodeErrors(output), '', `${label}: decode`);
		const read = readWithMp4box(output);
		src.tracks.forEach((track, index) => {
			const kept = (perFragment[index] ?? []).slice(0, complete).reduce((a, b) => a + b, 0);
			assert.is(report.samples.get(track.id), kept, `${label}: track ${track.id} samples`);
			const samples = read.tracks.find((t) => t.id === track.id)?.samples ?? [];
			assert.equal(compareSamples(trackPackets(src, track.id).slice(0, kept), samples), [], label);
		});
	}
});

test('fMP4 from ffmpeg (trex/tfhd defaults, negative composition offsets) defragments exactly', async () => {
	const input = join(dir, 'ffmpeg-fragmented.mp4');
	remux(remux(fixture('h264-aac48'), join(dir, 'ffmpeg-progressive.mp4')), input, [
		'-movflags',
		'frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets',
	]);
	const src = readMp4Source(input);
	const output = join(dir, 'ffmpeg-defragmented.mov');
	const report = await defragmentMp4(input, output, { brand: 'mov' });
	assert.is(report.fragmentsKept, readWithMp4box(input).fragments);
	assert.is(await ffprobeErrors(output), '');
	assert.is(await decodeErrors(output), '');
	const read = readWithMp4box(output);
	for (const track of src.tracks) {
		const samples = read.tracks.find((t) => t.id === track.id)?.samples ?? [];
		assert.equal(compareSamples(trackPackets(src, track.id), samples), [], `track ${track.id}`);
	}
});

test('a killed recorder loses at most the fragment being built', async () => {
	const src = source('h264-aac48-10s');
	const sink = new MemorySink();
	const muxer = new FragmentedMp4Muxer(src.tracks, sink);
	muxer.writeHeader();
	// 6.5 s of media, then the process "dies": no finish(), the sink's bytes are all that is left.
	const video = src.tracks.find((t) => t.kind === 'video') as Track;
	const firstDts = (trackPackets(src, video.id)[0] as Packet).dts;
	for (const packet of src.packets) {
		if (packet.trackId === video.id && packet.dts - firstDts >= 6.5 * video.timescale) break;
		muxer.writePacket(packet);
	}
	assert.is(muxer.fragmentsWritten, 3, 'fragments [0, 2), [2, 4), [4, 6) are on disk');
	const part = join(dir, 'killed.mp4.part');
	writeFileSync(part, sink.bytes());
	const report = await defragmentMp4(part, join(dir, 'killed.mp4'), { brand: 'mp4' });
	assert.is(report.fragmentsKept, 3);
	assert.is(report.samples.get(video.id), 150, '6 s of 25 fps video recovered');
});

test('a file cut inside its init segment is refused with a clear error', async () => {
	const whole = readFileSync(await fragmented('h264-aac48-10s'));
	const part = join(dir, 'cut-in-init.mp4.part');
	writeFileSync(part, whole.subarray(0, 100));
	try {
		await defragmentMp4(part, join(dir, 'cut-in-init.mp4'), { brand: 'mp4' });
		assert.unreachable('should have thrown');
	} catch (error) {
		assert.match(String(error), /no complete moov/);
		assert.is((error as { code?: string }).code, 'corrupt_input');
	}
	assert.not.ok(existsSync(join(dir, 'cut-in-init.mp4')), 'no output left behind');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
