import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { buildDOps, opusPacketSamples, parseDOps } from '../../src/codec/opus.ts';
import { probeStreams } from '../helpers/media-check.ts';
import { PacketCollector } from '../helpers/packet-collector.ts';
import { test } from '../helpers/suite.ts';

test('packet durations from the TOC byte equal ffprobe packet durations', async () => {
	const file = fixture('h264-opus');
	const collector = new PacketCollector();
	const demuxer = new TsDemuxer(collector);
	demuxer.push(new Uint8Array(readFileSync(file)));
	demuxer.end();
	const ours = collector.of(2).map((p) => opusPacketSamples(p.data) / 48_000);
	const probed = (await probeStreams(file))[1]!;
	assert.is(ours.length, probed.packets);
	// ffprobe's per-packet duration: the gap between consecutive PTS
	for (let i = 1; i < probed.pts.length; i++)
		assert.ok(Math.abs(probed.pts[i]! - probed.pts[i - 1]! - ours[i - 1]!) < 1e-6);
});

test('TOC codes: one frame, two frames, and code 3 frame counts', () => {
	assert.is(opusPacketSamples(Uint8Array.of(0b11111_0_00)), 960); // CELT FB 20 ms, 1 frame
	assert.is(opusPacketSamples(Uint8Array.of(0b10000_0_01)), 240); // CELT NB 2.5 ms, 2 frames
	assert.is(opusPacketSamples(Uint8Array.of(0b00011_0_10)), 5760); // SILK NB 60 ms, 2 frames
	assert.is(opusPacketSamples(Uint8Array.of(0b01101_0_11, 3)), 2880); // hybrid FB 20 ms, 3 frames
	assert.is(opusPacketSamples(Uint8Array.of(0b01101_0_11)), 0, 'code 3 without its count byte');
});

test('dOps for 5.1 equals the box ffmpeg writes into MP4 (mapping family 1, Vorbis order)', () => {
	const mp4 = new Uint8Array(readFileSync(fixture('opus-51-mp4')));
	const at = Buffer.from(mp4).indexOf('dOps');
	const size = new DataView(mp4.buffer, mp4.byteOffset).getUint32(at - 4);
	const theirs = mp4.subarray(at + 4, at - 4 + size);
	const parsed = parseDOps(theirs);
	assert.equal([parsed.channels, parsed.mappingFamily, parsed.inputSampleRate], [6, 1, 48_000]);
	assert.equal(buildDOps(parsed), theirs);
	assert.equal(parseDOps(buildDOps({ channels: 2, preSkip: 312, inputSampleRate: 48_000 })), {
		channels: 2,
		preSkip: 312,
		inputSampleRate: 48_000,
		mappingFamily: 0,
	});
	assert.throws(() => buildDOps({ channels: 9, preSkip: 0, inputSampleRate: 48_000 }), /1 to 8 channels/);
});

test.run();
