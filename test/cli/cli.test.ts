/** The `tapedeck` executable, spawned as a user runs it: exit codes, output, one-line errors. */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { SEQUENCE_MACRO } from '../../src/cli/remux.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const ROOT = join(import.meta.dirname, '../..');
const OUT = tempDir('cli');
mkdirSync(OUT, { recursive: true });
const INPUT = fixture('h264-aac48-flv');
// test/run.sh sets NO_COLOR and FORCE_COLOR together, which makes every child node warn on stderr.
delete process.env.FORCE_COLOR;

const tapedeck = (...args: string[]) => run(process.execPath, [join(ROOT, 'src/cli/bin.mjs'), ...args], 30_000);

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
	assertOneLineError(await tapedeck('frobnicate'), /unknown command "frobnicate"/);
});

test('a codec the container cannot carry: exit 1, the containers that can, and no output file left', async () => {
	const output = join(OUT, 'opus.flv');
	rmSync(output, { force: true });
	assertOneLineError(
		await tapedeck('remux', fixture('h264-opus'), output),
		/codec opus cannot be written to flv; containers that carry opus: ts, mp4, fmp4, mov/,
	);
	assert.not.ok(existsSync(output), 'no half-made file');
});

test('--debug adds the stack', async () => {
	const result = await tapedeck('probe', join(OUT, 'missing.ts'), '--debug');
	assert.is(result.code, 1);
	assert.match(result.stderr, /\n\s+at /);
});

test('--help lists the commands', async () => {
	const result = await tapedeck('--help');
	assert.is(result.code, 0);
	for (const command of ['serve', 'remux', 'probe', 'token', '--split-interval-ms', '--json']) {
		assert.match(result.stdout, command);
	}
});

test.run();
