import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { AviMuxer, type AviMuxerOptions } from '../../mux/avi/avi-muxer.ts';
import { repairAvi } from '../../mux/avi/repair-avi.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import { decodeErrors, ffprobeErrors, probeStreams, seekOneFrame } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { demuxFlv, writeAll } from './flv-source.ts';

const OUT = tempDir('avi-repair');
mkdirSync(OUT, { recursive: true });

const input = demuxFlv(readFileSync(fixture('h264-aac48-flv')));
const videoPackets = input.packets.filter((p) => p.trackId === 1).length;

const random = (seed: number) => () => {
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return seed / 2147483648;
};

/** What a `.part` holds when the process dies after `packets` packets (no finish). */
const crashedBytes = (packets: number, options: AviMuxerOptions = {}): Uint8Array => {
	const sink = new MemorySink();
	const muxer = new AviMuxer(input.tracks, sink, options);
	muxer.writeHeader();
	for (const p of input.packets.slice(0, packets)) muxer.writePacket(p);
	return sink.bytes().slice();
};

const assertPlayable = async (path: string, label: string, chunks: readonly number[]) => {
	assert.is(await ffprobeErrors(path), '', `${label}: ffprobe`);
	assert.is(await decodeErrors(path), '', `${label}: decode`);
	const streams = await probeStreams(path);
	assert.is(streams[0]?.packets, chunks[0], `${label}: video frames`);
	assert.is(streams[1]?.packets, chunks[1], `${label}: audio frames`);
	assert.ok(chunks[0]! > 0 && chunks[0]! <= videoPackets);
	// The rebuilt index is what ffmpeg seeks with.
	const seek = await seekOneFrame(path, 1);
	assert.is(seek.stderr.trim(), '', `${label}: seek`);
	// RIFF sizes add up to the file.
	const bytes = readFileSync(path);
	let at = 0;
	while (at < bytes.length) {
		assert.is(bytes.toString('latin1', at, at + 4), 'RIFF', `${label}: RIFF at ${at}`);
		at += 8 + bytes.readUInt32LE(at + 4);
	}
	assert.is(at, bytes.length, `${label}: RIFF sizes`);
};

for (const [name, options] of [
	['one RIFF', {}],
	['AVIX RIFFs', { riffSizeLimit: 64 * 1024 }],
] as const) {
	test(`${name}: a crashed recording cut at random byte positions is repaired into a playable file`, async () => {
		const next = random(name.length);
		for (let round = 0; round < 3; round++) {
			const bytes = crashedBytes(40 + Math.floor(next() * (input.packets.length - 40)), options);
			const cut = Math.floor(bytes.length * (0.25 + 0.75 * next()));
			const path = join(OUT, `crash-${name.length}-${round}.avi`);
			writeFileSync(path, bytes.subarray(0, cut));
			const report = await repairAvi(path);
			assert.is(report.bytesBefore, cut);
			await assertPlayable(path, `${name} round ${round} (cut at ${cut} of ${bytes.length})`, report.chunks);
		}
	});
}

test('a finished file cut anywhere is repaired; an intact one stays playable with every frame', async () => {
	const sink = new MemorySink();
	writeAll(new AviMuxer(input.tracks, sink, { riffSizeLimit: 64 * 1024 }), input.packets);
	const bytes = sink.bytes().slice();
	const next = random(3);
	for (let round = 0; round < 3; round++) {
		const cut = Math.floor(bytes.length * (0.3 + 0.7 * next()));
		const path = join(OUT, `cut-${round}.avi`);
		writeFileSync(path, bytes.subarray(0, cut));
		const report = await repairAvi(path);
		await assertPlayable(path, `cut at ${cut}`, report.chunks);
	}
	const path = join(OUT, 'intact.avi');
	writeFileSync(path, bytes);
	const report = await repairAvi(path);
	assert.is(report.chunks[0], videoPackets);
	assert.is(report.bytesCut, 0);
	await assertPlayable(path, 'intact', report.chunks);
});

test('a file cut inside its header cannot be repaired and says why', async () => {
	const path = join(OUT, 'header.avi');
	writeFileSync(path, crashedBytes(50).subarray(0, 100));
	try {
		await repairAvi(path);
		assert.unreachable('should throw');
	} catch (error) {
		assert.match(String(error), /no complete AVI header/);
	}
});

test.run();
