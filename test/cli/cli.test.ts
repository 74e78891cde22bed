/** The `tapedeck` executable, spawned as a user runs it: exit codes, output, one-line errors. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { REMUX_INCOMPLETE, SEQUENCE_MACRO } from '../../src/cli/remux.ts';
import { CORPUS, corpusFile } from '../helpers/corpus.ts';
import { probePackets } from '../helpers/corpus-check.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { withPmtEntries } from '../helpers/ts-edit.ts';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'src/cli/bin.mjs');
const OUT = tempDir('cli');
const INPUT = fixture('h264-aac48-flv');
// test/run.sh sets NO_COLOR and FORCE_COLOR together, which makes every child node warn on stderr.
delete process.env.FORCE_COLOR;

const tapedeck = (...args: string[]) => run(process.execPath, [BIN, ...args], 30_000);
/** Runs tapedeck with its standard output into `path` (as `> path` in a shell). */
const toFile = async (path: string, ...args: string[]): Promise<{ code: number | null; stderr: string }> => {
	const fd = openSync(path, 'w');
	const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', fd, 'pipe'] });
	closeSync(fd);
	let stderr = '';
	child.stderr?.on('data', (d: Buffer) => {
		stderr += d.toString();
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
	const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
	clearTimeout(timer);
	return { code, stderr };
};
const corpus = (name: string) => corpusFile(CORPUS.find((c) => c.name === name)!);

/** A failure a user can read: exit 1, one line on stderr, no stack. */
const assertOneLineError = (result: { code: number | null; stderr: string }, pattern: RegExp) => {
	assert.is(result.code, 1);
	const lines = result.stderr.trim().split('\n');
	assert.is(lines.length, 1, `one line, got:\n${result.stderr}`);
	assert.match(lines[0]!, /^tapedeck: /);
	assert.match(lines[0]!, pattern);
};

test('remux writes a file ffprobe and ffmpeg accept, format from the extension', async () => {
	const output = join(OUT, 'remux.mp4');
	const result = await tapedeck('remux', INPUT, output);
	assert.is(result.code, 0, result.stderr);
	assert.match(result.stdout, `${output}  mp4`);
	assert.is(result.stderr, '', 'no progress bar when stderr is not a terminal');
	assert.is(await ffprobeErrors(output), '');
	assert.is(await decodeErrors(output), '');
});

test('remux --split-interval-ms writes numbered files', async () => {
	const output = join(OUT, `split-${SEQUENCE_MACRO}.flv`);
	const result = await tapedeck(
		'remux',
		INPUT,
		output,
		'--split-interval-ms',
		'2000',
		'--segmentation-rule',
		'continuity',
	);
	assert.is(result.code, 0, result.stderr);
	assert.equal(
		result.stdout
			.trim()
			.split('\n')
			.map((line) => line.split('  ')[0]),
		[join(OUT, 'split-0.flv'), join(OUT, 'split-1.flv')],
	);
});

test('remux never replaces a file: not its input, not an existing output unless --overwrite / -y', async () => {
	const input = join(OUT, 'own.ts');
	writeFileSync(input, readFileSync(fixture('h264-aac48')));
	const before = readFileSync(input);
	assertOneLineError(await tapedeck('remux', input, input), /the output .*own\.ts is the input file/);
	// The same file by another name: through `..`, through a symbolic link; --overwrite does not change that.
	const link = join(OUT, 'own-link.ts');
	symlinkSync(input, link);
	assertOneLineError(await tapedeck('remux', input, join(OUT, '..', basename(OUT), 'own.ts'), '-y'), /is the input/);
	assertOneLineError(await tapedeck('remux', input, link, '-y'), /is the input file/);
	assert.equal(readFileSync(input), before, 'the input is untouched');

	const output = join(OUT, 'existing.mp4');
	writeFileSync(output, 'precious');
	assertOneLineError(await tapedeck('remux', input, output), /existing\.mp4 exists; .*--overwrite \(-y\)/);
	assert.is(readFileSync(output, 'utf8'), 'precious');
	const replaced = await tapedeck('remux', input, output, '-y');
	assert.is(replaced.code, 0, replaced.stderr);
	assert.is(await decodeErrors(output), '');
	assert.ok((await tapedeck('remux', input, output, '--overwrite')).code === 0);
});

test('a stream that needs a second file and an output without a sequence macro: name_N, the next free one, with a warning', async () => {
	const input = await corpus('resolution-change');
	const output = join(OUT, 'change.avi'); // AVI takes no new parameters mid-file: a new file
	writeFileSync(join(OUT, 'change_1.avi'), 'precious');
	const result = await tapedeck('remux', input, output);
	assert.is(result.code, 0, result.stderr);
	const written = result.stdout
		.trim()
		.split('\n')
		.map((line) => line.split('  ')[0]);
	assert.equal(written, [output, join(OUT, 'change_2.avi')]);
	assert.match(result.stderr, /warning: the stream needs a new file \(file 2\): written to .*change_2\.avi/);
	assert.is(readFileSync(join(OUT, 'change_1.avi'), 'utf8'), 'precious');
});

test('a codec the container cannot carry: the rest is written, a warning names the stream, exit 3', async () => {
	const output = join(OUT, 'opus.flv');
	const result = await tapedeck('remux', fixture('h264-opus'), output);
	assert.is(result.code, REMUX_INCOMPLETE, result.stderr);
	assert.match(
		result.stderr,
		/warning: track \d+ \(audio opus\) not written: flv cannot carry opus; containers that can: ts/,
	);
	const streams = await probeStreams(output);
	assert.equal(
		streams.map((s) => s.codecType),
		['video'],
	);
	assert.is(
		streams[0]!.packets,
		(await probeStreams(fixture('h264-opus'))).find((s) => s.codecType === 'video')!.packets,
	);
	assert.is(await decodeErrors(output), '');
	// Left out on purpose by --tracks, it is no failure.
	const videoOnly = await tapedeck('remux', fixture('h264-opus'), join(OUT, 'video-only.flv'), '--tracks', 'video');
	assert.is(videoOnly.code, 0, videoOnly.stderr);
	assert.is(videoOnly.stderr, '');
});

test('remux to standard output: a pipe-able container, and a quiet exit when the reader leaves', async () => {
	assertOneLineError(
		await tapedeck('remux', INPUT, '-', '--format', 'mp4'),
		/mp4 cannot be written to standard output/,
	);
	const piped = join(OUT, 'piped.ts');
	const whole = await toFile(piped, 'remux', fixture('h264-aac48'), '-', '--format', 'ts');
	assert.is(whole.code, 0, whole.stderr);
	assert.match(whole.stderr, /^- {2}ts {2}/, 'the file list goes to stderr');
	assert.is(await decodeErrors(piped), '');
	assert.is((await probeStreams(piped)).length, 2);
	// `| head -c 1000`: read a little, then close the pipe.
	const child = spawn(process.execPath, [BIN, 'remux', fixture('h264-aac48-10s'), '-', '--format', 'ts'], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stderr = '';
	child.stderr.on('data', (d: Buffer) => {
		stderr += d.toString();
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
	child.stdout.once('data', () => child.stdout.destroy());
	const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
	clearTimeout(timer);
	assert.is(code, 141, 'exit like a tool stopped by SIGPIPE');
	assert.is(stderr, '', 'no EPIPE stack trace');
});

test('-h / --help on every subcommand', async () => {
	for (const command of ['remux', 'probe', 'serve', 'token', 'config']) {
		for (const flag of ['-h', '--help']) {
			const result = await tapedeck(command, flag);
			assert.is(result.code, 0, `${command} ${flag}: ${result.stderr}`);
			assert.match(result.stdout, `Usage: tapedeck ${command}`);
		}
	}
	const remux = await tapedeck('remux', '-h');
	for (const option of ['--overwrite', '-y', '--program', 'Exit codes', `${REMUX_INCOMPLETE} written`]) {
		assert.match(remux.stdout, option);
	}
});

test('probe prints tracks and counts; --json matches ffprobe', async () => {
	const text = await tapedeck('probe', INPUT);
	assert.is(text.code, 0, text.stderr);
	assert.match(text.stdout, /track \d+ "video": video h264 320x240 25\.00 fps, 100 packets, 4 keyframes/);
	assert.match(text.stdout, /audio aac 48000 Hz 2 ch/);
	assert.match(text.stdout, /demux: \d+ bytes, \d+ packets, 0 bytes skipped/);
	const json = await tapedeck('probe', '--json', INPUT);
	assert.is(json.code, 0, json.stderr);
	const probed = JSON.parse(json.stdout) as { tracks: Array<{ kind: string; codec: string; packets: number }> };
	const reference = await probeStreams(INPUT);
	for (const stream of reference) {
		const track = probed.tracks.find((t) => t.kind === stream.codecType);
		assert.ok(track, stream.codecType);
		assert.is(track.packets, stream.packets, `${stream.codecType} packets`);
	}
});

type ProbedJson = {
	tracks: Array<{
		kind: string;
		durationS: number;
		firstPtsS: number;
		parameters: Array<{ atS: number; width?: number; height?: number }>;
	}>;
};

test('probe: durations to the end of the last frame, as ffprobe counts them', async () => {
	const input = fixture('h264-aac48');
	const probed = JSON.parse((await tapedeck('probe', '--json', input)).stdout) as ProbedJson;
	for (const stream of await probeStreams(input)) {
		const track = probed.tracks.find((t) => t.kind === stream.codecType)!;
		assert.ok(
			Math.abs(track.durationS - stream.duration) < 1e-3,
			`${stream.codecType}: ${track.durationS} s, ffprobe ${stream.duration} s`,
		);
	}
});

test('probe: each resolution change with the time it took effect', async () => {
	const input = await corpus('resolution-change');
	const result = await tapedeck('probe', input);
	assert.is(result.code, 0, result.stderr);
	assert.match(result.stdout, /changes: 160x90 from \d+\.\d{3} s, 320x180 from \d+\.\d{3} s/);
	const probed = JSON.parse((await tapedeck('probe', '--json', input)).stdout) as ProbedJson;
	const video = probed.tracks.find((t) => t.kind === 'video')!;
	const [first, second] = video.parameters;
	assert.equal([first?.width, second?.width], [160, 320]);
	// The 320x180 part starts at the first keyframe ffprobe reports at that size: 2 s after the start.
	const keyframes = (await probeStreams(input)).find((s) => s.codecType === 'video')!.keyframePts;
	assert.ok(
		keyframes.some((pts) => Math.abs(pts - second!.atS) < 1e-3),
		`${second?.atS} s is a keyframe`,
	);
	assert.ok(Math.abs(second!.atS - first!.atS - 2) < 0.1, 'two seconds of 160x90');
});

test('remux --program picks a program of a multi-program TS; the default is the first with video', async () => {
	const input = await corpus('two-programs');
	const second = join(OUT, 'program-2.mp4');
	const result = await tapedeck('remux', input, second, '--program', '2');
	assert.is(result.code, 0, result.stderr);
	const video = (await probePackets(second)).find((stream) => stream.type === 'video');
	assert.equal([video?.width, video?.height], [320, 180], 'program 2 is the 320x180 one');
	assert.match(result.stderr, /program 1/, 'the program left out is named');
	const first = join(OUT, 'program-default.mp4');
	assert.is((await tapedeck('remux', input, first)).code, 0);
	const defaultVideo = (await probePackets(first)).find((stream) => stream.type === 'video');
	assert.is(defaultVideo?.width, 160);
	const missing = await tapedeck('remux', input, join(OUT, 'program-9.mp4'), '--program', '9');
	assert.is(missing.code, 1);
	assert.match(missing.stderr, /program 9 is not in the stream/);
	assertOneLineError(await tapedeck('remux', INPUT, join(OUT, 'p.mp4'), '--program', '1'), /applies to MPEG-TS input/);
});

test('probe lists every program and stream, read or not, and says why not', async () => {
	const input = join(OUT, 'with-subtitles.ts');
	// A DVB subtitling stream (private PES 0x06 + subtitling_descriptor 0x59) tapedeck does not read.
	const subtitles = { streamType: 0x06, pid: 0x120, descriptors: [0x59, 8, 0x65, 0x6e, 0x67, 0x10, 0, 1, 0, 1] };
	writeFileSync(input, withPmtEntries(readFileSync(await corpus('two-programs')), [subtitles]));
	const result = await tapedeck('probe', input);
	assert.is(result.code, 0, result.stderr);
	assert.match(result.stdout, /program 1 \(recorded\): PMT PID/);
	assert.match(result.stdout, /program 2: PMT PID/);
	assert.match(result.stdout, /PID 0x0120: stream type 0x06 \(DVB subtitles\): unsupported: /);
	assert.match(result.stdout, /stream type 0x1b \(H\.264\): h264, not recorded/);
	assert.match(result.stdout, /warning: .*0x0*120/i, 'the demuxer warned about the subtitles');
	const json = JSON.parse((await tapedeck('probe', '--json', input)).stdout) as {
		programs: Array<{ programNumber: number; streams: unknown[] }>;
	};
	assert.equal(
		json.programs.map((p) => [p.programNumber, p.streams.length]),
		[
			[1, 3],
			[2, 2],
		],
	);
});

test('bad input: exit 1 and one line naming the problem', async () => {
	const junk = join(OUT, 'junk.ts');
	writeFileSync(junk, 'this is not a transport stream\n'.repeat(100));
	assertOneLineError(await tapedeck('remux', junk, join(OUT, 'junk.mp4')), /cannot read .*junk\.ts: not MPEG-TS/);
	assertOneLineError(await tapedeck('probe', join(OUT, 'missing.ts')), /input file not found: .*missing\.ts/);
	assertOneLineError(await tapedeck('remux', INPUT, join(OUT, 'x.mp4'), '--fromat', 'ts'), /Unknown option '--fromat'/);
	assertOneLineError(await tapedeck('remux', INPUT, join(OUT, 'x.xyz')), /cannot tell the output format from "\.xyz"/);
	assertOneLineError(
		await tapedeck('remux', INPUT, join(OUT, 'x.flv'), '--split-interval-ms', '1000'),
		/\$\{Sequence\}/,
	);
	assertOneLineError(await tapedeck('remux', INPUT, join(OUT, 'x.flv'), '--tracks', '9'), /no track with id 9/);
	assertOneLineError(await tapedeck('remux', INPUT, join(OUT, 'x.flv'), '--program', '0'), /--program must be/);
	assertOneLineError(await tapedeck('frobnicate'), /unknown command "frobnicate"/);
	assert.not.ok(existsSync(join(OUT, 'x.flv')), 'no file left by a refused remux');
});

test('--debug adds the stack', async () => {
	const result = await tapedeck('probe', join(OUT, 'missing.ts'), '--debug');
	assert.is(result.code, 1);
	assert.match(result.stderr, /\n\s+at /);
});

test('--help lists the commands', async () => {
	const result = await tapedeck('--help');
	assert.is(result.code, 0);
	for (const command of ['serve', 'remux', 'probe', 'token', 'config', '--split-interval-ms', '--json']) {
		assert.match(result.stdout, command);
	}
});

test.after(() => rmSync(OUT, { recursive: true, force: true }));

test.run();
