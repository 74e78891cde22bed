import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { FlvMuxer } from '../../mux/flv/flv-muxer.ts';
import { repairFlv } from '../../mux/flv/repair-flv.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { demuxFlv, writeAll } from './flv-source.ts';

const OUT = tempDir('flv-repair');
mkdirSync(OUT, { recursive: true });

const input = demuxFlv(readFileSync(fixture('h264-aac48-flv')));

/** A small deterministic PRNG so failures reproduce. */
const random = (seed: number) => () => {
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return seed / 2147483648;
};

/** What a `.part` holds when the process dies after `packets` packets: no finish, metadata still a placeholder. */
const crashedBytes = (packets: number): Uint8Array => {
	const sink = new MemorySink();
	const muxer = new FlvMuxer(input.tracks, sink);
	muxer.writeHeader();
	for (const p of input.packets.slice(0, packets)) muxer.writePacket(p);
	return sink.bytes().slice();
};

const finishedBytes = (): Uint8Array => {
	const sink = new MemorySink();
	writeAll(new FlvMuxer(input.tracks, sink), input.packets);
	return sink.bytes().slice();
};

const assertPlayable = async (path: string, label: string) => {
	assert.is(await ffprobeErrors(path), '', `${label}: ffprobe`);
	assert.is(await decodeErrors(path), '', `${label}: decode`);
	const reread = demuxFlv(readFileSync(path));
	assert.is(reread.demuxer.stats.skippedBytes, 0, `${label}: every byte is a whole tag`);
	const meta = reread.demuxer.metadata!;
	const streams = await probeStreams(path);
	const video = streams.find((s) => s.codecType === 'video')!;
	const keyframes = meta['keyframes'] as { times: number[]; filepositions: number[] };
	assert.is(keyframes.times.length, video.keyframes, `${label}: keyframe index`);
	assert.is(meta['filesize'], readFileSync(path).length, `${label}: filesize`);
	const mediaEnd = Math.max(...streams.map((s) => s.firstPts + s.duration));
	const mediaStart = Math.min(...streams.map((s) => Math.min(...s.dts)));
	const duration = meta['duration'] as number;
	assert.ok(Math.abs(duration - (mediaEnd - mediaStart)) <= 0.045, `${label}: duration ${duration}`);
	return reread;
};

test('a crashed recording cut at random byte positions is repaired into a playable file', async () => {
	const next = random(7);
	for (let round = 0; round < 6; round++) {
		const bytes = crashedBytes(60 + Math.floor(next() * (input.packets.length - 60)));
		const cut = Math.floor(bytes.length * (0.3 + 0.7 * next()));
		const path = join(OUT, `crash-${round}.flv`);
		writeFileSync(path, bytes.subarray(0, cut));
		const report = await repairFlv(path);
		assert.is(report.bytesBefore, cut);
		assert.ok(report.tags > 10);
		assert.ok(report.metadataRewritten);
		const reread = await assertPlayable(path, `round ${round} (cut at ${cut})`);
		assert.ok(reread.packets.length > 0);
	}
});

test('a finished file cut anywhere, and an intact file, are repaired; the intact one keeps its size', async () => {
	const bytes = finishedBytes();
	const next = random(11);
	for (let round = 0; round < 4; round++) {
		const cut = Math.floor(bytes.length * (0.2 + 0.8 * next()));
		const path = join(OUT, `cut-${round}.flv`);
		writeFileSync(path, bytes.subarray(0, cut));
		await repairFlv(path);
		await assertPlayable(path, `cut at ${cut}`);
	}
	const path = join(OUT, 'intact.flv');
	writeFileSync(path, bytes);
	const report = await repairFlv(path);
	assert.is(report.bytesAfter, bytes.length);
	assert.is(report.bytesCut, 0);
	await assertPlayable(path, 'intact');
});

test('a file that is not FLV is refused with a clear error', async () => {
	const path = join(OUT, 'not.flv');
	writeFileSync(path, 'hello, this is not a video');
	try {
		await repairFlv(path);
		assert.unreachable('should throw');
	} catch (error) {
		assert.match(String(error), /is not an FLV file/);
	}
});

test.run();
