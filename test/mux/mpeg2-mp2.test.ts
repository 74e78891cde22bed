/**
 * MPEG-2 video and MPEG-1 Layer II audio (what broadcast feeds carry) in every container that can
 * hold them — TS, MP4, MOV, fMP4, AVI — made by ffmpeg at test time: each file decodes cleanly,
 * ffmpeg reads back every frame and audio packet byte for byte (`-f framemd5`) with the codecs
 * ffmpeg's own `-c copy` gives, and mp4box.js reads the MP4 family back sample for sample
 * (mp4v with the sequence header in esds; MP2 as mp4a with objectTypeIndication 0x6B in MP4, as
 * QuickTime's '.mp2' in MOV). FLV is refused before any byte is written.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { CODEC_CARRIERS } from '../../mux/codec-carriers.ts';
import { createMuxer } from '../../mux/create-muxer.ts';
import { UnsupportedCodecError } from '../../src/core/errors.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import { EXTENSION } from '../helpers/container-extension.ts';
import { decodeErrors, ffprobeErrors, hashedFrames, probeStreams } from '../helpers/media-check.ts';
import { muxToFile, readMp4Source, remux } from '../helpers/mp4-source.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('mpeg2');

/** 2 s of 320x240 MPEG-2 video with B-frames and 48 kHz stereo MP2, as a broadcast encoder would send it. */
const makeSource = (): { ts: string; mp4: string } => {
	const ts = join(dir, 'source.ts');
	const result = spawnSync(
		'ffmpeg',
		// biome-ignore format: one option and its value per line pair reads worse here
		['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi',
		 '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', '-c:v', 'mpeg2video', '-bf', '2', '-g', '12',
		 '-b:v', '1M', '-c:a', 'mp2', '-b:a', '128k', ts],
		{ encoding: 'utf8', timeout: 60_000 },
	);
	if (result.status !== 0) throw new Error(`ffmpeg could not make the source: ${result.stderr}`);
	return { ts, mp4: remux(ts, join(dir, 'source.mp4')) };
};

const source = makeSource();
const packets = readMp4Source(source.mp4);
const expected = hashedFrames(source.ts);

test('the source reads as MPEG-2 video and MP2 audio', () => {
	assert.equal(
		packets.tracks.map((t) => t.codec),
		['mpeg2video', 'mp2'],
	);
	assert.ok(packets.tracks[0]!.config.length >= 12, 'sequence header as the video config');
});

for (const format of ['ts', 'mp4', 'mov', 'fmp4', 'avi'] as const) {
	test(`MPEG-2 video + MP2 → ${format}: decodes cleanly, every frame and audio packet as in the source`, async () => {
		assert.ok(CODEC_CARRIERS.mpeg2video.includes(format) && CODEC_CARRIERS.mp2.includes(format));
		const file = join(dir, `out.${EXTENSION[format]}`);
		await muxToFile((tracks, sink) => createMuxer(format, tracks, sink), packets, file);
		assert.is(await ffprobeErrors(file), '');
		assert.is(await decodeErrors(file), '');
		const [ours, theirs] = await Promise.all([hashedFrames(file), expected]);
		assert.equal(ours.kinds, ['video', 'audio']);
		for (const stream of [0, 1]) {
			assert.equal(
				ours.frames[stream]!.map((f) => `${f.size} ${f.md5}`),
				theirs.frames[stream]!.map((f) => `${f.size} ${f.md5}`),
				`stream ${stream}: same packets, same bytes`,
			);
		}
		// the codecs ffmpeg names are those of ffmpeg's own copy into the same container
		const reference = remux(
			source.ts,
			join(dir, `reference.${EXTENSION[format]}`),
			format === 'fmp4' ? ['-movflags', 'frag_keyframe+empty_moov'] : [],
		);
		const [written, copied] = await Promise.all([probeStreams(file), probeStreams(reference)]);
		assert.equal(
			written.map((s) => s.codecName),
			copied.map((s) => s.codecName),
		);
		if (format === 'ts')
			assert.equal(
				written.map((s) => s.codecName),
				['mpeg2video', 'mp2'],
			);
	});
}

for (const format of ['mp4', 'mov'] as const) {
	test(`${format}: mp4box.js reads the sample entries and every sample back`, () => {
		const back = readMp4Source(join(dir, `out.${format}`));
		assert.equal(
			back.tracks.map((t) => [t.codec, t.config]),
			packets.tracks.map((t) => [t.codec, t.config]),
		);
		assert.is(back.packets.length, packets.packets.length);
		const same = back.packets.every((p, i) => Buffer.compare(p.data, packets.packets[i]!.data) === 0);
		assert.ok(same, 'every sample byte for byte');
	});
}

test('FLV cannot carry MPEG-2 video or MP2: refused before any byte is written', () => {
	const sink = new MemorySink();
	for (const track of packets.tracks) {
		assert.throws(
			() => createMuxer('flv', [track], sink),
			(error: Error) => error instanceof UnsupportedCodecError && error.message.includes(track.codec),
		);
	}
	assert.is(sink.position, 0);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
