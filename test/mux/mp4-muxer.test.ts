/**
 * Progressive MP4 and MOV from one muxer: ffprobe and a full decode are clean, mp4box.js reads
 * back every sample exactly (size, sync, DTS, composition offset), durations and the A/V offset
 * match the source, mediabunny reads both brands, and co64 files stay valid.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';
import * as assert from 'uvu/assert';
import { type FixtureName, fixture } from '../../fixtures/fixtures.ts';
import { Mp4Muxer } from '../../mux/mp4/mp4-muxer.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { fixtureMp4Source, type Mp4Source, muxToFile, trackPackets } from '../helpers/mp4-source.ts';
import { assertFaithfulMp4, readWithMp4box } from '../helpers/mp4box-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('mp4');
/** The fixture remuxed by ffmpeg into MP4, read into packets. */
const source = (name: FixtureName): Mp4Source => fixtureMp4Source(name, dir);

/** Packets per track as mediabunny reads them. */
const mediabunnyCounts = async (file: string): Promise<number[]> => {
	const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS });
	const counts: number[] = [];
	for (const track of await input.getTracks()) {
		let count = 0;
		for await (const _ of new EncodedPacketSink(track).packets()) count++;
		counts.push(count);
	}
	input.dispose();
	return counts;
};

for (const name of ['h264-aac48', 'h265-aac48'] as const) {
	for (const brand of ['mp4', 'mov'] as const) {
		test(`${name} → ${brand}: clean, every sample exact, durations and A/V offset kept`, async () => {
			const src = source(name);
			const file = join(dir, `${name}.${brand}`);
			const muxer = await muxToFile((tracks, sink) => new Mp4Muxer(tracks, sink, { brand }), src, file);
			assert.is((muxer as Mp4Muxer).droppedPackets, 0);
			assert.is(muxer.format, brand);
			await assertFaithfulMp4(file, fixture(name), src);
			const brands = readWithMp4box(file).brands;
			assert.ok(brands.includes(brand === 'mp4' ? 'isom' : 'qt  '), `brands ${brands.join(',')}`);
		});
	}
}

test('mediabunny reads our MP4 and MOV with every packet', async () => {
	const src = source('h264-aac48');
	const expected = src.tracks.map((t) => trackPackets(src, t.id).length);
	for (const brand of ['mp4', 'mov'] as const) {
		const counts = await mediabunnyCounts(join(dir, `h264-aac48.${brand}`));
		assert.equal(counts, expected, brand);
	}
});

test('mov puts the QuickTime boxes ffmpeg and QuickTime expect', () => {
	const bytes = readFileSync(join(dir, 'h264-aac48.mov'));
	const text = bytes.toString('latin1');
	assert.ok(text.startsWith('qt  ', 8), 'ftyp major brand qt');
	assert.ok(text.includes('wide'), 'wide atom before mdat');
	assert.ok(text.includes('mhlrvide') && text.includes('mhlrsoun'), 'media handlers with component type mhlr');
	assert.ok(text.includes('dhlralis'), 'data handler');
});

test('co64 forced on a small file: ffprobe, decode and mp4box accept it', async () => {
	const src = source('h264-aac48');
	const file = join(dir, 'h264-aac48-co64.mp4');
	await muxToFile((tracks, sink) => new Mp4Muxer(tracks, sink, { forceCo64: true }), src, file);
	const text = readFileSync(file).toString('latin1');
	assert.ok(text.includes('co64') && !text.includes('stco'), 'co64, no stco');
	await assertFaithfulMp4(file, fixture('h264-aac48'), src);
});

test('data tracks and packets whose DTS does not increase are dropped and counted', async () => {
	const src = source('h264-aac48');
	const data: Track = { id: 9, kind: 'data', codec: 'h264', timescale: 90_000, config: new Uint8Array(0), name: 'id3' };
	const first = src.packets[0] as Packet;
	const noisy: Mp4Source = {
		tracks: [...src.tracks, data],
		packets: [
			first,
			{ ...first, trackId: 9 },
			{ ...first }, // same DTS again
			...src.packets.slice(1),
		],
	};
	const file = join(dir, 'noisy.mp4');
	const muxer = (await muxToFile((tracks, sink) => new Mp4Muxer(tracks, sink), noisy, file)) as Mp4Muxer;
	assert.is(muxer.droppedPackets, 2);
	await assertFaithfulMp4(file, fixture('h264-aac48'), src);
});

test('an unsupported codec is refused before any byte is written', () => {
	const src = source('h264-aac48');
	const av1 = { ...(src.tracks[0] as Mp4Source['tracks'][number]), codec: 'av1' as const };
	let written = 0;
	const sink = {
		position: 0,
		write: () => void written++,
		writeAt: () => undefined,
		drain: async () => undefined,
		sync: async () => undefined,
		close: async () => undefined,
	};
	assert.throws(() => new Mp4Muxer([av1], sink), /av1/);
	assert.is(written, 0);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
