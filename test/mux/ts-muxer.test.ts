import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { type FixtureName, fixture } from '../../fixtures/fixtures.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { MUX_DELAY, TsMuxer } from '../../mux/ts/ts-muxer.ts';
import { UnsupportedCodecError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import { rescale } from '../../src/core/time.ts';
import type { Track } from '../../src/core/track.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { PacketCollector } from '../helpers/packet-collector.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Outputs go to a fresh folder outside the tree, removed when the suite ends. */
const OUT = tempDir('ts-muxer');

const demux = (bytes: Uint8Array) => {
	const collector = new PacketCollector();
	const demuxer = new TsDemuxer(collector);
	demuxer.push(bytes);
	demuxer.end();
	return { collector, stats: demuxer.stats };
};

/** fixture → TsDemuxer → TsMuxer → file; returns the file, its bytes and what was demuxed from the fixture. */
const remux = (name: FixtureName) => {
	const { collector } = demux(new Uint8Array(readFileSync(fixture(name))));
	const sink = new MemorySink();
	const muxer = new TsMuxer(collector.tracks, sink);
	muxer.writeHeader();
	for (const packet of collector.packets) muxer.writePacket(packet);
	muxer.finish();
	const file = join(OUT, `${name}.tsmux.ts`);
	writeFileSync(file, sink.bytes());
	return { file, bytes: sink.bytes(), source: collector, muxer };
};

for (const name of [
	'h264-aac48',
	'h264-aac44',
	'aac44-only',
	'h265-aac48',
	'pts-wrap',
	'h264-mp3',
	'h264-ac3',
	'h264-opus',
] as const) {
	test(`${name} round trip: clean for ffprobe and ffmpeg, same packets, durations and A/V offset`, async () => {
		const { file, bytes, source, muxer } = remux(name);
		assert.is(await ffprobeErrors(file), '');
		assert.is(await decodeErrors(file), '');
		const before = await probeStreams(fixture(name));
		const after = await probeStreams(file);
		assert.equal(
			after.map((s) => [s.codecName, s.packets, s.keyframes]),
			before.map((s) => [s.codecName, s.packets, s.keyframes]),
		);
		for (const [i, stream] of after.entries()) {
			const frame = stream.codecType === 'video' ? 0.04 : 0.032; // AAC 21-23 ms, MP3 24 ms, AC-3 32 ms, Opus 20 ms
			assert.ok(Math.abs(stream.duration - before[i]!.duration) <= frame, `${stream.codecType} duration`);
		}
		if (after.length === 2) {
			const offset = (streams: typeof after) => streams[0]!.firstPts - streams[1]!.firstPts;
			assert.ok(Math.abs(offset(after) - offset(before)) <= 0.001, 'A/V first-PTS offset');
		}
		assert.equal(
			[...muxer.stats.packets.values()],
			source.tracks.map((t) => source.of(t.id).length),
		);
		assert.is(muxer.stats.bytes, bytes.length);

		const back = demux(bytes);
		assert.equal(back.collector.tracks, source.tracks);
		for (const track of source.tracks) {
			const ours = back.collector.of(track.id);
			const theirs = source.of(track.id);
			assert.is(ours.length, theirs.length);
			// every timestamp comes back as given, the mux delay later
			const delay = rescale(MUX_DELAY, 90_000, track.timescale);
			// not assert.equal on the whole list: a mismatch would print megabytes
			const same = ours.every((p, i) => {
				const q = theirs[i]!;
				return (
					p.dts === q.dts + delay &&
					p.pts === q.pts + delay &&
					p.keyframe === q.keyframe &&
					Buffer.compare(p.data, q.data) === 0
				);
			});
			assert.ok(same, `${track.kind} packets read back identically`);
		}
		assert.equal([back.stats.discontinuities, back.stats.droppedUnits, back.stats.skippedBytes], [0, 0, 0]);
	});
}

/** The TS packets of a file, with what the checks below need from each. */
const packetsOf = (bytes: Uint8Array) => {
	const list: { pid: number; unitStart: boolean; randomAccess: boolean; pcr?: number; payload: Uint8Array }[] = [];
	for (let at = 0; at < bytes.length; at += 188) {
		assert.is(bytes[at], 0x47);
		const pid = ((bytes[at + 1]! & 0x1f) << 8) | bytes[at + 2]!;
		const control = (bytes[at + 3]! >> 4) & 3;
		let start = at + 4;
		let randomAccess = false;
		let pcr: number | undefined;
		if (control & 2) {
			const length = bytes[at + 4]!;
			const flags = length ? bytes[at + 5]! : 0;
			randomAccess = (flags & 0x40) !== 0;
			if (flags & 0x10) {
				const b = bytes.subarray(at + 6, at + 12);
				pcr = b[0]! * 2 ** 25 + b[1]! * 2 ** 17 + b[2]! * 2 ** 9 + b[3]! * 2 + (b[4]! >> 7);
			}
			start += 1 + length;
		}
		list.push({
			pid,
			unitStart: (bytes[at + 1]! & 0x40) !== 0,
			randomAccess,
			pcr,
			payload: bytes.subarray(start, at + 188),
		});
	}
	return list;
};

test('PAT/PMT every 100 ms and before each keyframe; PCR increasing, at least every 40 ms; keyframes carry AUD, SPS, PPS', () => {
	const { bytes, source } = remux('h264-aac48');
	const packets = packetsOf(bytes);
	let lastPcr = Number.NaN;
	let tablesAtPcr = Number.NaN;
	for (const [i, p] of packets.entries()) {
		if (p.pcr !== undefined) {
			if (!Number.isNaN(lastPcr)) {
				assert.ok(p.pcr - lastPcr <= 3600, `PCR gap ${p.pcr - lastPcr} at packet ${i}`);
				assert.ok(p.pcr > lastPcr, `PCR ${p.pcr} after ${lastPcr} at packet ${i}`);
			}
			lastPcr = p.pcr;
		}
		if (p.pid === 0) {
			if (!Number.isNaN(tablesAtPcr)) assert.ok(lastPcr - tablesAtPcr <= 9000 + 3600, `table gap at packet ${i}`);
			tablesAtPcr = lastPcr;
			assert.is(packets[i + 1]!.pid, 0x1000, 'PMT follows PAT');
		}
		if (p.pid === 0x100 && p.randomAccess) {
			assert.equal([packets[i - 2]!.pid, packets[i - 1]!.pid], [0, 0x1000], 'tables before the keyframe');
			const header = 9 + p.payload[8]!;
			// AUD (type 9), then SPS (0x67) and PPS, each with a 4-byte start code
			assert.equal([...p.payload.subarray(header, header + 11)], [0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67]);
		}
	}
	// 4 s of media: tables every 100 to 125 ms (the next packet after 100 ms), plus one per keyframe
	assert.ok(packets.filter((p) => p.pid === 0).length >= 32, 'tables repeated');
	// the first PCR comes the mux delay ahead of the first DTS written
	const in90k = (p: Packet) => rescale(p.dts, source.tracks.find((t) => t.id === p.trackId)!.timescale, 90_000);
	const firstPcr = packets.find((p) => p.pcr !== undefined)!.pcr!;
	assert.is(firstPcr, in90k(source.packets[0]!));
	assert.is(in90k(demux(bytes).collector.packets[0]!), firstPcr + MUX_DELAY);
});

test('audio only: PCR on the audio PID', () => {
	const packets = packetsOf(remux('aac44-only').bytes);
	const pcrPids = new Set(packets.filter((p) => p.pcr !== undefined).map((p) => p.pid));
	assert.equal([...pcrPids], [0x100]);
});

test('codecs TS cannot carry are rejected in the constructor, before any byte is written', () => {
	const sink = new MemorySink();
	const av1: Track = {
		id: 1,
		kind: 'video',
		codec: 'av1',
		timescale: 90_000,
		config: new Uint8Array(4),
		name: 'video',
	};
	try {
		new TsMuxer([av1], sink);
		assert.unreachable();
	} catch (error) {
		assert.instance(error, UnsupportedCodecError);
		assert.match((error as Error).message, /av1 cannot be written to ts/);
	}
	const usac: Track = {
		id: 1,
		kind: 'audio',
		codec: 'aac',
		timescale: 48_000,
		config: Uint8Array.of(0xf9, 0x46, 0x30), // audioObjectType 42 (escape), 48 kHz, stereo
		name: 'audio',
	};
	assert.throws(
		() => new TsMuxer([usac], sink),
		(error: Error) => error instanceof UnsupportedCodecError,
	);
	assert.throws(() => new TsMuxer([], sink), /at least one track/);
	assert.is(sink.position, 0);
});

test.after(() => rmSync(OUT, { recursive: true, force: true }));

test.run();
