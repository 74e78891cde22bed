/**
 * The real-world acceptance corpus: small MPEG-TS inputs (2–4 s of 160x90 video and a tone) made at
 * test time with ffmpeg 5.1 and GStreamer 1.22, each holding one trap that live encoders, cameras
 * and broadcast feeds put in their streams. Damage and packetizations neither tool writes on its
 * own are applied to their output by test/helpers/corpus-ts.ts.
 *
 * Files are made once and cached under os.tmpdir(), in a folder named after a hash of the
 * generator's sources, so a changed generator never serves stale media.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsStreamType } from '../../src/codec/mpeg-ts.ts';
import {
	concat,
	corruptAdtsHeader,
	damageBytes,
	dropPackets,
	pesStartNear,
	pidOfStreamType,
	shiftTimestamps,
} from './corpus-ts.ts';
import { addScte35, splitPicturesIntoPes } from './corpus-ts-write.ts';
import { run } from './process.ts';
import { restride } from './ts-edit.ts';

export type CorpusCase = {
	readonly name: string;
	/** What the file holds, and the trap in it. */
	readonly description: string;
	/**
	 * Loss or damage ffmpeg cannot fully read either: the reference is what ffmpeg's own `-c copy`
	 * remux keeps (frames, decode errors), not the input's packet count.
	 */
	readonly damaged: boolean;
	/** The program the remux is expected to record (program_number); default the first. */
	readonly program?: number;
	readonly extension: 'ts' | 'm2ts';
	/** Writes the input to `path`; `scratch` is a folder for intermediate files. */
	make(path: string, scratch: string): Promise<void>;
};

const SIZE = '160x90';
const SAMPLE_RATE = 48_000;

/** Test pattern and tone, `seconds` long; a different `tone` frequency tells two encodes apart. */
const sources = (seconds: number, size = SIZE, tone = 440) => [
	'-f',
	'lavfi',
	'-i',
	`testsrc2=size=${size}:rate=25:duration=${seconds}`,
	'-f',
	'lavfi',
	'-i',
	`sine=frequency=${tone}:sample_rate=${SAMPLE_RATE}:duration=${seconds}`,
];
/** H.264 with B-frames (reordered PTS) and a keyframe every second, as a live encoder sends. */
const H264 = [
	...['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0'],
	...['-pix_fmt', 'yuv420p', '-threads', '1'],
];
const AAC = ['-c:a', 'aac', '-b:a', '64k'];

const ffmpeg = async (args: readonly string[]): Promise<void> => {
	const result = await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args], 60_000);
	if (result.code !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${result.stderr}`);
};

const GST_LAUNCH = join(import.meta.dirname, 'corpus-gst-launch.py');

/** A GStreamer pipeline run to its end (through the Python bindings: see corpus-gst-launch.py). */
const gstreamer = async (pipeline: string): Promise<void> => {
	const result = await run('/usr/bin/python3', [GST_LAUNCH, pipeline], 60_000);
	if (result.code !== 0) throw new Error(`GStreamer pipeline failed: ${result.stderr}\n${pipeline}`);
};

/** ffmpeg's H.264 + AAC in MPEG-TS, `seconds` long, with extra output options. */
const encodeTs = (path: string, seconds: number, extra: readonly string[] = [], size = SIZE, tone = 440) =>
	ffmpeg([...sources(seconds, size, tone), ...H264, ...AAC, ...extra, '-f', 'mpegts', path]);

/** Makes a TS with ffmpeg in `scratch`, then rewrites its bytes into `path`. */
const rewritten =
	(seconds: number, extra: readonly string[], rewrite: (ts: Uint8Array) => Uint8Array) =>
	async (path: string, scratch: string) => {
		const base = join(scratch, 'base.ts');
		await encodeTs(base, seconds, extra);
		writeFileSync(path, rewrite(readFileSync(base)));
	};

const videoPid = (ts: Uint8Array) => pidOfStreamType(ts, TsStreamType.H264);
const audioPid = (ts: Uint8Array) => pidOfStreamType(ts, TsStreamType.AacAdts);

export const CORPUS: readonly CorpusCase[] = [
	{
		name: 'clean',
		description: 'H.264 (B-frames) + AAC from ffmpeg, nothing wrong: the baseline every other case departs from',
		damaged: false,
		extension: 'ts',
		make: (path) => encodeTs(path, 3),
	},
	{
		name: 'resolution-change',
		description:
			'160x90 for 2 s, then 320x180 for 2 s in the same stream (new SPS at a keyframe), continuous timestamps',
		damaged: false,
		extension: 'ts',
		make: async (path, scratch) => {
			await encodeTs(join(scratch, 'a.ts'), 2);
			await encodeTs(join(scratch, 'b.ts'), 2, [], '320x180');
			const list = join(scratch, 'list.txt');
			writeFileSync(list, "file 'a.ts'\nfile 'b.ts'\n");
			await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-f', 'mpegts', path]);
		},
	},
	{
		name: 'late-audio',
		description: 'video from 0 s, the audio stream only from 1.5 s on (a camera whose microphone comes up late)',
		damaged: false,
		extension: 'ts',
		make: (path) =>
			ffmpeg([
				...['-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=25:duration=3`],
				...['-itsoffset', '1.5', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${SAMPLE_RATE}:duration=1.5`],
				...H264,
				...AAC,
				...['-f', 'mpegts', path],
			]),
	},
	{
		name: 'corrupt-adts',
		description: 'one ADTS header mid-stream claims another sampling rate (bit damage), its frame intact',
		damaged: false,
		extension: 'ts',
		make: rewritten(3, [], (ts) => corruptAdtsHeader(ts, pesStartNear(ts, audioPid(ts), 0.5))),
	},
	{
		name: 'jump-forward',
		description: 'every PTS/DTS/PCR jumps 30 s forward at mid-file (a spliced feed), continuity counters intact',
		damaged: false,
		extension: 'ts',
		make: rewritten(3, ['-output_ts_offset', '10'], (ts) =>
			shiftTimestamps(ts, pesStartNear(ts, videoPid(ts), 0.5), 30 * 90_000),
		),
	},
	{
		name: 'jump-backward',
		description: 'every PTS/DTS/PCR jumps 5 s back at mid-file (under the 10 s that once dropped the rest)',
		damaged: false,
		extension: 'ts',
		make: rewritten(3, ['-output_ts_offset', '10'], (ts) =>
			shiftTimestamps(ts, pesStartNear(ts, videoPid(ts), 0.5), -5 * 90_000),
		),
	},
	{
		name: 'encoder-restart',
		description:
			'two separate 2 s encodes (440 Hz, then 880 Hz) concatenated byte for byte: timestamps and continuity counters start over',
		damaged: false,
		extension: 'ts',
		make: async (path, scratch) => {
			await encodeTs(join(scratch, 'a.ts'), 2);
			await encodeTs(join(scratch, 'b.ts'), 2, [], SIZE, 880);
			writeFileSync(path, concat([readFileSync(join(scratch, 'a.ts')), readFileSync(join(scratch, 'b.ts'))]));
		},
	},
	{
		name: 'loss-1pct',
		description: '1 % of the TS packets dropped at random (fixed seed) after the first 20, as a lossy UDP path',
		damaged: true,
		extension: 'ts',
		make: rewritten(4, [], (ts) => dropPackets(ts, 0.01, 12)),
	},
	{
		name: 'byte-damage',
		description: '40 random bytes overwritten (fixed seed) after the first 20 packets, sync bytes included',
		damaged: true,
		extension: 'ts',
		make: rewritten(4, [], (ts) => damageBytes(ts, 40, 7)),
	},
	{
		name: 'gstreamer-mpegtsmux',
		description: "GStreamer's x264enc (B-frames) + avenc_aac through mpegtsmux: its PES and PCR layout, not ffmpeg's",
		damaged: false,
		extension: 'ts',
		make: (path) =>
			gstreamer(
				`videotestsrc num-buffers=75 ! video/x-raw,width=160,height=90,framerate=25/1 ! ` +
					'x264enc speed-preset=veryfast bframes=2 key-int-max=25 threads=1 ! h264parse ! mux. ' +
					`audiotestsrc num-buffers=141 samplesperbuffer=1024 ! audio/x-raw,rate=${SAMPLE_RATE},channels=2 ! ` +
					`avenc_aac ! aacparse ! mux. mpegtsmux name=mux ! filesink location=${path}`,
			),
	},
	{
		name: 'split-pes-with-pts',
		description: 'each picture coded as 4 slices, each slice in a PES of its own, every PES repeating the PTS/DTS',
		damaged: false,
		extension: 'ts',
		make: rewritten(3, ['-x264-params', 'slices=4'], (ts) => splitPicturesIntoPes(ts, videoPid(ts), true)),
	},
	{
		name: 'split-pes-without-pts',
		description: 'each picture coded as 4 slices, each in its own PES; only the first PES of a picture has a PTS',
		damaged: false,
		extension: 'ts',
		make: rewritten(3, ['-x264-params', 'slices=4'], (ts) => splitPicturesIntoPes(ts, videoPid(ts), false)),
	},
	{
		name: 'mpeg2-mp2',
		description: 'MPEG-2 video (B-frames) + MPEG-1 Layer II audio, the broadcast pair',
		damaged: false,
		extension: 'ts',
		make: (path) =>
			ffmpeg([
				...sources(3),
				...['-c:v', 'mpeg2video', '-bf', '2', '-g', '25', '-b:v', '300k', '-c:a', 'mp2', '-b:a', '128k'],
				...['-f', 'mpegts', path],
			]),
	},
	{
		name: 'h264-mp2',
		description: 'H.264 + MPEG-1 Layer II audio (stream type 0x03), once misread as MP3',
		damaged: false,
		extension: 'ts',
		make: (path) => ffmpeg([...sources(3), ...H264, '-c:a', 'mp2', '-b:a', '128k', '-f', 'mpegts', path]),
	},
	{
		name: 'latm-aac',
		description: 'H.264 + AAC in LOAS/LATM (stream type 0x11), as RTP MP4A-LATM sources and DVB send it',
		damaged: false,
		extension: 'ts',
		make: (path) => encodeTs(path, 3, ['-mpegts_flags', 'latm']),
	},
	{
		name: 'two-programs',
		description:
			'program 1: 160x90 + 440 Hz, program 2: 320x180 + 880 Hz, in one multiplex; the first program with video is recorded',
		damaged: false,
		program: 1,
		extension: 'ts',
		make: (path) =>
			ffmpeg([
				...sources(3),
				...sources(3, '320x180', 880),
				...['-map', '0:v', '-map', '1:a', '-map', '2:v', '-map', '3:a'],
				...H264,
				...AAC,
				...['-program', 'program_num=1:title=one:st=0:st=1', '-program', 'program_num=2:title=two:st=2:st=3'],
				...['-f', 'mpegts', path],
			]),
	},
	{
		name: 'scte35',
		description: 'H.264 + AAC with an SCTE-35 PID (type 0x86, CUEI): three time_signal cues at 25/50/75 % of the file',
		damaged: false,
		extension: 'ts',
		make: rewritten(3, [], (ts) => addScte35(ts, [0.25, 0.5, 0.75])),
	},
	{
		name: 'm2ts',
		description: 'H.264 + AAC in 192-byte M2TS/BDAV units (a 4-byte arrival timestamp before each TS packet)',
		damaged: false,
		extension: 'm2ts',
		make: rewritten(3, [], (ts) => restride(ts, 'm2ts')),
	},
	{
		name: 'm2ts-hdmv',
		description:
			"ffmpeg's own M2TS mode: 192-byte units, HDMV registration, and the AAC stream typed as private PES (0x06) with no descriptor",
		damaged: false,
		extension: 'm2ts',
		make: (path) => encodeTs(path, 3, ['-mpegts_m2ts_mode', '1']),
	},
	{
		name: 'ts-204',
		description: 'H.264 + AAC in 204-byte packets (16 Reed-Solomon parity bytes after each, as DVB-ASI captures)',
		damaged: false,
		extension: 'ts',
		make: rewritten(3, [], (ts) => restride(ts, 'rs204')),
	},
];

const SOURCES = ['corpus.ts', 'corpus-ts.ts', 'corpus-ts-write.ts', 'corpus-gst-launch.py', 'ts-edit.ts'];

/** The cache folder: os.tmpdir()/tapedeck-corpus-<hash of the generator's sources>. */
export const corpusFolder = (): string => {
	const hash = createHash('sha256');
	for (const file of SOURCES) hash.update(readFileSync(join(import.meta.dirname, file)));
	const folder = join(tmpdir(), `tapedeck-corpus-${hash.digest('hex').slice(0, 12)}`);
	mkdirSync(folder, { recursive: true });
	return folder;
};

/** The path of a case's input, made now unless cached; written to a temporary name, then renamed. */
export const corpusFile = async (corpusCase: CorpusCase): Promise<string> => {
	const folder = corpusFolder();
	const path = join(folder, `${corpusCase.name}.${corpusCase.extension}`);
	if (existsSync(path)) return path;
	const scratch = join(folder, `${corpusCase.name}.scratch-${process.pid}`);
	mkdirSync(scratch, { recursive: true });
	const partial = join(scratch, `partial.${corpusCase.extension}`);
	try {
		await corpusCase.make(partial, scratch);
		renameSync(partial, path);
	} finally {
		rmSync(scratch, { recursive: true, force: true });
	}
	return path;
};
