/**
 * A parameter change between two keyframes, end to end through `tapedeck remux`: an MPEG-TS made by
 * ffmpeg whose AAC goes from 44.1 kHz mono to 48 kHz stereo half a second before a video keyframe.
 * Containers that need a new file for it (every MP4 flavour, AVI) start that file with the new audio
 * from the change on, its video from the keyframe; TS and FLV carry on in one file. Either way
 * `ffprobe -count_packets` finds every video frame and audio packet of the input in the files, ffmpeg
 * decodes each file silently, and no warning says anything was dropped.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { ContainerFormat } from '../../mux/muxer.ts';
import { remuxFile } from '../../src/cli/remux.ts';
import { EXTENSION } from '../helpers/container-extension.ts';
import { decodeErrors } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('change-between-keyframes');

const ffmpeg = async (args: readonly string[]): Promise<void> => {
	const result = await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
	if (result.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${result.stderr}`);
};

/** What ffprobe says of each stream: its packets (`-count_packets`), audio format, first decode time. */
type Counted = { type: string; packets: number; sampleRate?: number; channels?: number; firstDts: number };

const countPackets = async (file: string): Promise<Counted[]> => {
	const result = await run('ffprobe', [
		...['-v', 'error', '-count_packets', '-of', 'json', '-show_entries'],
		...['stream=codec_type,nb_read_packets,sample_rate,channels:packet=stream_index,dts_time', file],
	]);
	if (result.code !== 0) throw new Error(`ffprobe ${file}: ${result.stderr}`);
	type Stream = { codec_type: string; nb_read_packets: string; sample_rate?: string; channels?: number };
	const { streams, packets } = JSON.parse(result.stdout) as {
		streams: Stream[];
		packets: { stream_index: number; dts_time: string }[];
	};
	return streams.map((s, index) => ({
		type: s.codec_type,
		packets: Number(s.nb_read_packets),
		sampleRate: s.sample_rate === undefined ? undefined : Number(s.sample_rate),
		channels: s.channels,
		firstDts: Number(packets.find((p) => p.stream_index === index)?.dts_time),
	}));
};

/**
 * 4 s of 25 fps H.264 with a keyframe every second, and AAC: 1.5 s at 44.1 kHz mono, then 2.5 s at
 * 48 kHz stereo (ADTS headers say so: two audio-only TS joined by ffmpeg's concat demuxer, the first
 * one's length given so the second carries on where its last frame ends).
 */
const makeInput = async (): Promise<string> => {
	const tone = (rate: number, channels: number, seconds: number, path: string) =>
		ffmpeg([
			...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=${seconds}`],
			...['-ac', String(channels), '-c:a', 'aac', '-b:a', '64k', '-f', 'mpegts', join(dir, path)],
		]);
	await tone(44_100, 1, 1.5, 'first.ts');
	await tone(48_000, 2, 2.5, 'second.ts');
	// 66 AAC frames of 1024 samples at 44.1 kHz
	writeFileSync(join(dir, 'list.txt'), "file 'first.ts'\nduration 1.5325\nfile 'second.ts'\n");
	const input = join(dir, 'input.ts');
	await ffmpeg([
		...['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=4'],
		...['-f', 'concat', '-safe', '0', '-i', join(dir, 'list.txt'), '-map', '0:v', '-map', '1:a'],
		...['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0'],
		...['-pix_fmt', 'yuv420p', '-threads', '1', '-c:a', 'copy', '-f', 'mpegts', input],
	]);
	return input;
};

const made = makeInput();
const total = (files: Counted[][], type: string) =>
	files.flat().reduce((n, s) => n + (s.type === type ? s.packets : 0), 0);

const remuxed = async (format: ContainerFormat) => {
	const input = await made;
	const result = await remuxFile({ input, output: join(dir, `${format}-out.${EXTENSION[format]}`), format });
	const files = await Promise.all(result.files.map((f) => countPackets(f.path)));
	for (const file of result.files) assert.is(await decodeErrors(file.path), '', `${file.path} decodes silently`);
	const inputStreams = await countPackets(input);
	assert.is(total(files, 'video'), total([inputStreams], 'video'), 'every video frame');
	assert.is(total(files, 'audio'), total([inputStreams], 'audio'), 'every audio packet');
	const dropped = result.warnings.recent.filter((w) => w.code === 'dropped_data');
	assert.equal(dropped, [], 'nothing said to be dropped');
	return files;
};

for (const format of ['fmp4', 'mp4', 'mov', 'avi'] as const) {
	test(`${format}: a new file from the audio change on, every packet kept`, async () => {
		const files = await remuxed(format);
		assert.is(files.length, 2);
		const [video, audio] = [files[1]!.find((s) => s.type === 'video')!, files[1]!.find((s) => s.type === 'audio')!];
		assert.equal([audio.sampleRate, audio.channels], [48_000, 2], 'the second file has the new audio');
		assert.equal(
			files[0]!.find((s) => s.type === 'audio')!.sampleRate,
			44_100,
			'the first file has the old audio only',
		);
		// The new audio starts about half a second (change to keyframe) before the file's video; the
		// keyframe decodes two B-frame slots before its presentation.
		assert.ok(video.firstDts - audio.firstDts > 0.3, `audio from ${audio.firstDts} s, video from ${video.firstDts} s`);
	});
}

for (const format of ['ts', 'flv'] as const) {
	test(`${format}: the audio change carries on in the same file, every packet kept`, async () => {
		assert.is((await remuxed(format)).length, 1);
	});
}

test.run();
