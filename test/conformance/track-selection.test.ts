/** Track filters end to end: the files hold exactly the chosen tracks, decodable, with every packet. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { MUXER_FORMATS } from '../../mux/create-muxer.ts';
import { probeFile } from '../../src/cli/probe.ts';
import { remuxFile } from '../../src/cli/remux.ts';
import { decodeErrors, probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Outputs go to a fresh folder outside the tree, removed when the suite ends. */
const OUT = tempDir('track-selection');
const INPUT = fixture('h264-aac48-flv');
const FORMAT = MUXER_FORMATS.includes('mp4') ? 'mp4' : MUXER_FORMATS[0]!;

const remuxWith = async (tracks: string, label: string) => {
	const output = join(OUT, `tracks-${label}.${FORMAT}`);
	await remuxFile({ input: INPUT, output, format: FORMAT, tracks });
	assert.is(await decodeErrors(output), '');
	return probeStreams(output);
};

test('video only, by id', async () => {
	const { tracks } = await probeFile(INPUT);
	const video = tracks.find((t) => t.kind === 'video')!;
	const streams = await remuxWith(String(video.id), 'video');
	assert.equal(
		streams.map((s) => [s.codecType, s.packets]),
		[['video', video.packets]],
	);
	// The file starts at the keyframe: PTS 0, or its B-frame delay when the container has no edit list.
	const firstPts = streams[0]!.firstPts;
	assert.ok(firstPts >= 0 && firstPts <= 0.081, `first PTS ${firstPts}`);
});

test('audio only, by id', async () => {
	const { tracks } = await probeFile(INPUT);
	const audio = tracks.find((t) => t.kind === 'audio')!;
	const streams = await remuxWith(String(audio.id), 'audio');
	assert.equal(
		streams.map((s) => [s.codecType, s.packets]),
		[['audio', audio.packets]],
	);
});

test('by name', async () => {
	const { tracks } = await probeFile(INPUT);
	const audio = tracks.find((t) => t.kind === 'audio')!;
	const streams = await remuxWith(audio.name, 'by-name');
	assert.equal(
		streams.map((s) => s.codecType),
		['audio'],
	);
});

test('an unknown track is a clear error', async () => {
	try {
		await remuxFile({ input: INPUT, output: join(OUT, `tracks-none.${FORMAT}`), format: FORMAT, tracks: 'director' });
		assert.unreachable();
	} catch (error) {
		assert.match((error as Error).message, /no track with name "director"; the stream has 1 "video"/);
	}
});

test.after(() => rmSync(OUT, { recursive: true, force: true }));

test.run();
