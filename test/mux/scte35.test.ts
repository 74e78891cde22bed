/**
 * SCTE-35 data tracks: passed through to MPEG-TS as a stream_type 0x86 PID with the 'CUEI'
 * registration descriptor in the PMT's program loop, each splice_info_section re-packetized whole
 * (one that spans several TS packets too), which ffmpeg reads back as scte_35 packets byte for byte;
 * every other container leaves the data track out and records the media as usual.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { createMuxer } from '../../mux/create-muxer.ts';
import { CONTAINER_FORMATS } from '../../mux/muxer.ts';
import { crc32Mpeg } from '../../src/bytes/crc32-mpeg.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { EXTENSION } from '../helpers/container-extension.ts';
import { decodeErrors, probeStreams } from '../helpers/media-check.ts';
import { fixtureMp4Source, muxToFile } from '../helpers/mp4-source.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('scte35');

const scte35: Track = {
	id: 9,
	kind: 'data',
	codec: 'scte35',
	timescale: 90_000,
	config: new Uint8Array(0),
	name: 'scte35',
};

/**
 * A splice_info_section (ANSI/SCTE 35 §9.6) with a splice_null command and `padding` bytes of
 * private splice descriptors ('CUEI' identifier), CRC_32 last.
 */
const spliceNull = (padding: number): Uint8Array => {
	const descriptors: number[] = [];
	while (descriptors.length < padding) {
		const length = Math.min(250, padding - descriptors.length - 2);
		descriptors.push(0xf0, length, 0x43, 0x55, 0x45, 0x49, ...new Array<number>(length - 4).fill(0x5a));
	}
	const body = [
		0x00, // protocol_version
		0x00,
		0x00,
		0x00,
		0x00,
		0x00, // encrypted_packet 0, encryption_algorithm 0, pts_adjustment 0
		0x00, // cw_index
		0xff,
		0xf0,
		0x00, // tier 0xFFF, splice_command_length 0
		0x00, // splice_command_type: splice_null
		descriptors.length >> 8,
		descriptors.length & 0xff, // descriptor_loop_length
		...descriptors,
	];
	const sectionLength = body.length + 4;
	const section = Uint8Array.from([0xfc, 0x30 | (sectionLength >> 8), sectionLength & 0xff, ...body, 0, 0, 0, 0]);
	new DataView(section.buffer).setUint32(section.length - 4, crc32Mpeg(section, 0, section.length - 4));
	return section;
};

/** h264-aac48 with a splice section every second: a short one, and a long one that needs three TS packets. */
const withCues = () => {
	const source = fixtureMp4Source('h264-aac48', dir);
	const sections = [spliceNull(0), spliceNull(400), spliceNull(0)];
	const cues: Packet[] = sections.map((data, i) => ({
		trackId: scte35.id,
		dts: 90_000 * (i + 1),
		pts: 90_000 * (i + 1),
		duration: 0,
		keyframe: true,
		data,
	}));
	const seconds = (p: Packet) =>
		p.dts / (p.trackId === scte35.id ? 90_000 : source.tracks.find((t) => t.id === p.trackId)!.timescale);
	const packets = [...source.packets, ...cues].sort((a, b) => seconds(a) - seconds(b));
	return { tracks: [...source.tracks, scte35], packets, sections, media: source };
};

test('TS: a 0x86 stream with CUEI in the PMT, every section read back by ffmpeg as scte_35', async () => {
	const { tracks, packets, sections } = withCues();
	const file = join(dir, 'cues.ts');
	await muxToFile((t, sink) => createMuxer('ts', t, sink), { tracks, packets }, file);
	assert.is(await decodeErrors(file), '');
	const streams = await probeStreams(file);
	assert.equal(
		streams.map((s) => s.codecName),
		['h264', 'aac', 'scte_35'],
	);
	assert.is(streams[2]!.packets, sections.length);
	// the data stream's packets, as ffmpeg demuxes them, back to back
	const dump = spawnSync(
		'ffmpeg',
		['-nostdin', '-v', 'error', '-i', file, '-map', '0:2', '-c', 'copy', '-f', 'data', '-'],
		{
			timeout: 30_000,
		},
	);
	assert.is(dump.status, 0);
	assert.equal(
		[...new Uint8Array(dump.stdout)],
		sections.flatMap((s) => [...s]),
	);
	// the registration descriptor 'CUEI' (tag 5, length 4) in the PMT
	const bytes = readFileSync(file);
	assert.ok(bytes.includes(Buffer.from([0x05, 0x04, 0x43, 0x55, 0x45, 0x49])), 'CUEI registration descriptor');
});

for (const format of CONTAINER_FORMATS.filter((f) => f !== 'ts')) {
	test(`${format}: the SCTE-35 track is left out, the media recorded whole`, async () => {
		const { tracks, packets, media } = withCues();
		const file = join(dir, `cues.${EXTENSION[format]}`);
		const muxer = await muxToFile((t, sink) => createMuxer(format, t, sink), { tracks, packets }, file);
		assert.is(muxer.updateTrack(scte35).outcome, 'continued', 'a data track is never a reason for a new file');
		assert.is(await decodeErrors(file), '');
		const streams = await probeStreams(file);
		assert.equal(
			streams.map((s) => s.packets),
			media.tracks.map((t) => media.packets.filter((p) => p.trackId === t.id).length),
		);
	});
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
