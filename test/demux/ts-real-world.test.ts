import { writeFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { sniffDemuxerKind } from '../../ingest/demux/create-demuxer.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { TsStreamType } from '../../src/codec/mpeg-ts.ts';
import type { Track } from '../../src/core/track.ts';
import { pidOfStreamType } from '../helpers/corpus-ts.ts';
import { gstRun } from '../helpers/gst.ts';
import { probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import {
	makeSection,
	packetsOf,
	payloadAt,
	pesPacket,
	restride,
	sectionPacket,
	stripTimestamps,
	unitStartAt,
	withPacketsInserted,
	withPmtEntries,
} from '../helpers/ts-edit.ts';
import { demuxTs, ffmpegMake, H264_FAST, lavfiInputs, tempFolder, WarningCollector } from '../helpers/ts-media.ts';

const temp = tempFolder();
test.after(() => temp.done());

/** Our packets of `track` against ffprobe's stream `index` of `file`: count, keyframes, PTS and DTS (to a tick). */
const assertLikeFfprobe = async (file: string, index: number, collector: WarningCollector, track: Track) => {
	const probed = (await probeStreams(file))[index]!;
	const packets = collector.of(track.id);
	assert.is(packets.length, probed.packets, `${track.codec} packets`);
	assert.is(packets.filter((p) => p.keyframe).length, probed.keyframes, `${track.codec} keyframes`);
	const tolerance = 1.5 / track.timescale;
	packets.forEach((p, i) => {
		assert.ok(Math.abs(p.pts / track.timescale - probed.pts[i]!) < tolerance, `${track.codec} PTS ${i}`);
		assert.ok(Math.abs(p.dts / track.timescale - probed.dts[i]!) < tolerance, `${track.codec} DTS ${i}`);
	});
};

const GST_H264_NAL =
	'videotestsrc num-buffers=50 ! video/x-raw,width=160,height=120,framerate=25/1 ! ' +
	'x264enc bframes=2 b-adapt=false key-int-max=25 speed-preset=ultrafast threads=1 ! h264parse ! ' +
	'video/x-h264,alignment=nal ! mpegtsmux name=m ! filesink location=';

test("GStreamer mpegtsmux with one PES per NAL unit: one packet per picture, B-frame order kept, like ffprobe's", async () => {
	const file = temp.path('gst-nal.ts');
	await gstRun(`${GST_H264_NAL}${file}`);
	const { collector, stats } = demuxTs(new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(file))));
	const [video] = collector.tracks;
	assert.is(video!.codec, 'h264');
	assert.is(stats.droppedUnits, 0);
	await assertLikeFfprobe(file, 0, collector, video!);
	const reordered = collector.of(video!.id).filter((p) => p.pts !== p.dts).length;
	assert.ok(reordered > 10, 'PTS differ from DTS (B-frames)');
});

test('a picture split over several PES, the later ones without PTS, is read the same', async () => {
	const file = temp.path('gst-nal-nopts.ts');
	await gstRun(`${GST_H264_NAL}${file}`);
	const bytes = new Uint8Array((await import('node:fs')).readFileSync(file));
	const pid = pidOfStreamType(bytes, TsStreamType.H264);
	// strip the timestamps of every PES that does not begin with an access unit delimiter
	const starts = packetsOf(bytes, pid).filter((at) => unitStartAt(bytes, at));
	const continuing = starts.map((at) => {
		const pes = payloadAt(bytes, at);
		const body = pes + 9 + bytes[pes + 8]!;
		return (bytes[body + 4]! & 0x1f) !== 9 && (bytes[body + 3]! & 0x1f) !== 9;
	});
	assert.ok(continuing.filter(Boolean).length >= 50, 'most PES continue a picture');
	const stripped = stripTimestamps(bytes, pid, (i) => continuing[i]!);
	const clean = demuxTs(bytes).collector;
	const { collector, stats } = demuxTs(stripped);
	assert.is(stats.droppedUnits, 0);
	assert.equal(collector.packets, clean.packets);
});

test('MPEG-2 video and MPEG-1 Layer II audio: codecs, size, config, packets like ffprobe', async () => {
	const file = temp.path('mpeg2-mp2.ts');
	const bytes = await ffmpegMake(
		[...lavfiInputs(), '-c:v', 'mpeg2video', '-bf', '2', '-g', '12', '-c:a', 'mp2', '-f', 'mpegts'],
		file,
	);
	const { collector, stats } = demuxTs(bytes);
	const [video, audio] = collector.tracks;
	assert.equal(
		[video!.codec, video!.video, audio!.codec, audio!.audio],
		['mpeg2video', { width: 160, height: 120 }, 'mp2', { sampleRate: 48_000, channels: 1 }],
	);
	assert.equal([...video!.config.subarray(0, 4)], [0, 0, 1, 0xb3], 'config is the sequence header');
	assert.is(stats.droppedUnits, 0);
	await assertLikeFfprobe(file, 0, collector, video!);
	await assertLikeFfprobe(file, 1, collector, audio!);
	for (const packet of collector.of(video!.id))
		assert.equal([...packet.data.subarray(0, 3)], [0, 0, 1], 'starts with a start code');
});

test('H.264 with Layer II audio is mp2, not mp3', async () => {
	const bytes = await ffmpegMake(
		[...lavfiInputs(), ...H264_FAST, '-c:a', 'mp2', '-f', 'mpegts'],
		temp.path('h264-mp2.ts'),
	);
	const { collector } = demuxTs(bytes);
	assert.equal(
		collector.tracks.map((t) => t.codec),
		['h264', 'mp2'],
	);
	assert.is(collector.of(2).length, 84);
});

test('AAC in LATM/LOAS (stream type 0x11): raw frames and an AudioSpecificConfig that ffmpeg decodes', async () => {
	const file = temp.path('latm.ts');
	const bytes = await ffmpegMake(
		[...lavfiInputs(), ...H264_FAST, '-c:a', 'aac', '-f', 'mpegts', '-mpegts_flags', 'latm'],
		file,
	);
	const { collector, stats } = demuxTs(bytes);
	const audio = collector.tracks[1]!;
	assert.equal([audio.codec, audio.audio], ['aac', { sampleRate: 48_000, channels: 1 }]);
	assert.equal([...audio.config], [0x11, 0x88], 'AAC LC, 48 kHz, mono');
	assert.is(stats.droppedUnits, 0);
	await assertLikeFfprobe(file, 1, collector, audio);
	await assertAdtsDecodes(
		collector.of(audio.id).map((p) => p.data),
		48_000,
		1,
	);
});

/** Our raw AAC frames, given ADTS headers, decode with ffmpeg without an error, all of them. */
const assertAdtsDecodes = async (frames: Uint8Array[], rate: number, channels: number) => {
	const { writeAdtsHeader, aacSampleRateIndex } = await import('../../src/codec/aac.ts');
	const config = {
		objectType: 2,
		sampleRateIndex: aacSampleRateIndex(rate),
		sampleRate: rate,
		channelConfig: channels,
		channels,
	};
	const parts = frames.map((frame) => {
		const out = new Uint8Array(7 + frame.length);
		writeAdtsHeader(out, 0, config, frame.length);
		out.set(frame, 7);
		return out;
	});
	const file = temp.path(`frames-${frames.length}.aac`);
	writeFileSync(file, Buffer.concat(parts));
	const { run } = await import('../helpers/process.ts');
	const decoded = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-f', 'framecrc', '-']);
	assert.is(decoded.stderr.trim(), '', 'ffmpeg decodes without an error');
	assert.is(decoded.stdout.split('\n').filter((l) => /^0,/.test(l)).length, frames.length, 'every frame decodes');
};

test('two programs: the first with video by default, another on request; the other program named in warnings', async () => {
	const bytes = await ffmpegMake(
		[
			...lavfiInputs(),
			'-f',
			'lavfi',
			'-i',
			'testsrc=size=320x240:rate=25:duration=2',
			'-f',
			'lavfi',
			'-i',
			'sine=frequency=880:sample_rate=44100:duration=2',
			...['-map', '1', '-map', '0', '-map', '2', '-map', '3'],
			...[...H264_FAST, '-c:a', 'aac'],
			...['-program', 'program_num=1:st=0', '-program', 'program_num=2:st=1:st=2:st=3', '-f', 'mpegts'],
		],
		temp.path('two-programs.ts'),
	);
	// program 1 is audio only: the default is program 2, the first with video
	const chosen = demuxTs(bytes);
	assert.equal(
		chosen.collector.tracks.map((t) => [t.codec, t.video ?? t.audio]),
		[
			['h264', { width: 160, height: 120 }],
			['h264', { width: 320, height: 240 }],
			['aac', { sampleRate: 44_100, channels: 1 }],
		],
	);
	assert.ok(
		chosen.collector.warnings.some((w) =>
			/PID 0x0100: stream type 0x0f \(AAC \(ADTS\)\) not carried: program 1 not selected/.test(w.message),
		),
	);
	const programs = chosen.demuxer.programs;
	assert.equal(
		programs.map((p) => [p.programNumber, p.selected, p.streams.map((s) => [s.codec, s.carried])]),
		[
			[1, false, [['aac', false]]],
			[
				2,
				true,
				[
					['h264', true],
					['h264', true],
					['aac', true],
				],
			],
		],
	);
	const first = demuxTs(bytes, { program: 1 });
	assert.equal(
		first.collector.tracks.map((t) => [t.codec, t.audio]),
		[['aac', { sampleRate: 48_000, channels: 1 }]],
	);
	const missing = demuxTs(bytes, { program: 7 });
	assert.is(missing.collector.packets.length, 0);
	assert.ok(
		missing.collector.warnings.some((w) => /program 7 is not in the stream \(its programs: 1, 2\)/.test(w.message)),
	);
});

test('192-byte M2TS and 204-byte packets are detected and read like 188-byte ones', async () => {
	const bytes = await ffmpegMake(
		[...lavfiInputs(), ...H264_FAST, '-c:a', 'mp2', '-f', 'mpegts'],
		temp.path('for-restride.ts'),
	);
	const reference = demuxTs(bytes).collector;
	for (const form of ['m2ts', 'rs204'] as const) {
		const restrided = restride(bytes, form);
		assert.is(sniffDemuxerKind(restrided.subarray(0, 2048)), 'ts', `${form} sniffed`);
		const { collector, demuxer, stats } = demuxTs(restrided, {}, 1000);
		assert.is(demuxer.packetSize, form === 'm2ts' ? 192 : 204);
		assert.ok(stats.skippedBytes <= 4, `${form}: only the first prefix skipped`);
		assert.equal(collector.tracks, reference.tracks);
		assert.equal(collector.packets, reference.packets, `${form} packets`);
	}
});

/** A splice_null() splice_info_section (ANSI/SCTE 35 §9.2), 'tier' all ones. */
const SPLICE_NULL = makeSection(0xfc, [0x00, 0x00, 0, 0, 0, 0, 0x00, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x00], false);

test("ffmpeg's M2TS (HDMV): AAC in a private PES no descriptor names is read by its content", async () => {
	const file = temp.path('hdmv.m2ts');
	const bytes = await ffmpegMake(
		[...lavfiInputs(), ...H264_FAST, '-c:a', 'aac', '-f', 'mpegts', '-mpegts_m2ts_mode', '1'],
		file,
	);
	const { collector, demuxer } = demuxTs(bytes);
	const audio = collector.tracks[1]!;
	assert.equal([audio.codec, audio.audio], ['aac', { sampleRate: 48_000, channels: 1 }]);
	await assertLikeFfprobe(file, 1, collector, audio);
	assert.equal(
		demuxer.programs[0]!.streams.map((s) => [s.streamType, s.codec, s.carried]),
		[
			[0x1b, 'h264', true],
			[0x06, 'aac', true],
		],
	);
	assert.is(collector.warnings.length, 0);
});

test('a private PES of unreadable content is named, and does not hold back the other tracks', async () => {
	const bytes = await ffmpegMake(
		[...lavfiInputs(4), ...H264_FAST, '-c:a', 'aac', '-f', 'mpegts'],
		temp.path('private.ts'),
	);
	const junk = new Uint8Array(64).fill(0x42);
	const edited = withPacketsInserted(
		withPmtEntries(bytes, [{ streamType: 0x06, pid: 0x1f3, descriptors: [] }]),
		(n) => pesPacket(0x1f3, 126_000 + n * 9000, junk, n),
		20,
	);
	const collector = new WarningCollector();
	let announcedAt = -1;
	const demuxer = new TsDemuxer(
		Object.assign(collector, {
			announce: (tracks: readonly Track[]) => {
				collector.announcements.push([...tracks]);
				if (announcedAt < 0) announcedAt = demuxer.stats.bytes;
			},
		}),
	);
	for (let at = 0; at < edited.length; at += 1316) demuxer.push(edited.subarray(at, at + 1316));
	demuxer.end();
	assert.match(
		collector.warnings.map((w) => w.message).join('\n'),
		/PID 0x01f3: stream type 0x06 \(private PES\) not carried: its data is neither AAC \(ADTS\) nor AC-3/,
	);
	assert.ok(
		announcedAt > 0 && announcedAt < edited.length / 4,
		`announced after ${announcedAt} of ${edited.length} bytes`,
	);
	assert.equal(
		collector.tracks.map((t) => t.codec),
		['h264', 'aac'],
	);
	assert.equal(collector.packets.length, demuxTs(bytes).collector.packets.length);
});

test('SCTE-35 sections become packets of a data track; DVB subtitles and teletext are named, not carried', async () => {
	const bytes = await ffmpegMake(
		[...lavfiInputs(), ...H264_FAST, '-c:a', 'aac', '-f', 'mpegts'],
		temp.path('for-scte.ts'),
	);
	const edited = withPacketsInserted(
		withPmtEntries(bytes, [
			{ streamType: 0x86, pid: 0x1f0, descriptors: [0x05, 0x04, 0x43, 0x55, 0x45, 0x49] }, // registration 'CUEI'
			{ streamType: 0x06, pid: 0x1f1, descriptors: [0x59, 0x08, 0x65, 0x6e, 0x67, 0x10, 0x00, 0x01, 0x00, 0x01] },
			{ streamType: 0x06, pid: 0x1f2, descriptors: [0x56, 0x05, 0x65, 0x6e, 0x67, 0x09, 0x00] },
		]),
		(n) => sectionPacket(0x1f0, SPLICE_NULL, n),
		100,
	);
	const { collector, demuxer } = demuxTs(edited);
	const data = collector.tracks.find((t) => t.kind === 'data')!;
	assert.equal([data.codec, data.timescale, data.name], ['scte35', 90_000, 'data']);
	const sections = collector.of(data.id);
	assert.ok(sections.length >= 4, `${sections.length} sections`);
	for (const section of sections) assert.equal(section.data, SPLICE_NULL);
	// dated on the video timeline, in arrival order
	const video = collector.of(1);
	assert.ok(sections[0]!.pts >= video[0]!.dts && sections.at(-1)!.pts <= video.at(-1)!.dts);
	const messages = collector.warnings.map((w) => w.message).join('\n');
	assert.match(messages, /PID 0x01f1: stream type 0x06 \(DVB subtitles\) not carried/);
	assert.match(messages, /PID 0x01f2: stream type 0x06 \(teletext\) not carried/);
	assert.equal(
		demuxer.programs[0]!.streams.map((s) => [s.pid, s.name, s.carried]),
		[
			[0x100, 'H.264', true],
			[0x101, 'AAC (ADTS)', true],
			[0x1f0, 'SCTE-35', true],
			[0x1f1, 'DVB subtitles', false],
			[0x1f2, 'teletext', false],
		],
	);
});

test('timestamp jumps forward and back are warned; every packet is kept with its input timestamps', async () => {
	const make = (name: string, offset: number) =>
		ffmpegMake(
			[...lavfiInputs(1), ...H264_FAST, '-c:a', 'aac', '-output_ts_offset', `${offset}`, '-f', 'mpegts'],
			temp.path(name),
		);
	const [a, b, c] = await Promise.all([make('jump-a.ts', 0), make('jump-b.ts', 60), make('jump-c.ts', 20)]);
	const joined = new Uint8Array(a.length + b.length + c.length);
	joined.set(a);
	joined.set(b, a.length);
	joined.set(c, a.length + b.length);
	const parts = [a, b, c].map((part) => demuxTs(part).collector);
	const { collector } = demuxTs(joined);
	const jumps = collector.warnings.filter((w) => w.code === 'timestamp_jump');
	assert.ok(jumps.length >= 2, jumps.map((w) => w.message).join('; '));
	for (const id of [1, 2]) {
		const expected = parts.flatMap((part) => part.of(id).map((p) => p.pts));
		assert.equal(
			collector.of(id).map((p) => p.pts),
			expected,
			`track ${id}: all packets, input timestamps`,
		);
	}
});

test('a resolution change mid-stream: a new track version, a parameter_change warning, every picture kept', async () => {
	const make = (name: string, size: string, offset: number) =>
		ffmpegMake(
			[
				'-f',
				'lavfi',
				'-i',
				`testsrc2=size=${size}:rate=25:duration=1`,
				...H264_FAST,
				'-output_ts_offset',
				`${offset}`,
				'-f',
				'mpegts',
			],
			temp.path(name),
		);
	const [small, large] = await Promise.all([make('small.ts', '160x120', 0), make('large.ts', '320x240', 1)]);
	const joined = new Uint8Array(small.length + large.length);
	joined.set(small);
	joined.set(large, small.length);
	const { collector } = demuxTs(joined);
	assert.equal(
		collector.announcements.map((tracks) => tracks[0]!.video),
		[
			{ width: 160, height: 120 },
			{ width: 320, height: 240 },
		],
	);
	assert.is(collector.of(1).length, 50);
	assert.ok(collector.warnings.some((w) => w.code === 'parameter_change' && /320x240/.test(w.message)));
});

test.run();
