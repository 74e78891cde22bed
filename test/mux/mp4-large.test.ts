/**
 * The large-file path without writing 4 GiB: a sink that counts payload bytes but keeps only
 * headers and moov. Past 2^32 bytes the mdat header must carry a 64-bit largesize (MP4) or turn
 * its `wide` atom into one (MOV), and chunk offsets must be co64 with exact 64-bit values, as
 * mp4box.js reads them from the moov.
 */
import { createFile, MP4BoxBuffer } from 'mp4box';
import * as assert from 'uvu/assert';
import { childBoxes, readU64 } from '../../mux/mp4/box-reader.ts';
import { Mp4Muxer } from '../../mux/mp4/mp4-muxer.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import type { Sink } from '../../src/sink/sink.ts';
import { test } from '../helpers/suite.ts';

const PAYLOAD = new Uint8Array(48 << 20);
/** 100 packets of 48 MiB: 4.7 GiB of mdat. */
const PACKETS = 100;

/** Keeps writes of at most 1 MiB (headers, moov) and only counts the payload. */
class CountingSink implements Sink {
	position = 0;
	readonly kept = new Map<number, Uint8Array>();

	write(data: Uint8Array): void {
		if (data.length <= 1 << 20) this.kept.set(this.position, data.slice());
		this.position += data.length;
	}

	writeAt(position: number, data: Uint8Array): void {
		for (const [start, bytes] of this.kept) {
			if (position >= start && position + data.length <= start + bytes.length) {
				bytes.set(data, position - start);
				return;
			}
		}
		throw new Error(`writeAt ${position} outside the kept writes`);
	}

	async drain(): Promise<void> {}
	async sync(): Promise<void> {}
	async close(): Promise<void> {}
}

const tracks: Track[] = [
	{
		id: 1,
		kind: 'video',
		codec: 'h264',
		timescale: 90_000,
		// avcC: version 1, High profile, level 3.0, 4-byte lengths, one tiny SPS and PPS.
		config: Uint8Array.of(1, 100, 0, 30, 0xff, 0xe1, 0, 4, 0x67, 100, 0, 30, 1, 0, 2, 0x68, 0xce),
		name: 'video',
		video: { width: 320, height: 240 },
	},
	{
		id: 2,
		kind: 'audio',
		codec: 'aac',
		timescale: 48_000,
		config: Uint8Array.of(0x11, 0x90),
		name: 'audio',
		audio: { sampleRate: 48_000, channels: 2 },
	},
];

/** Alternating video and audio packets, so every packet is its own chunk. */
const packets = (): Packet[] =>
	Array.from({ length: PACKETS }, (_, i) => {
		const video = i % 2 === 0;
		const n = Math.floor(i / 2);
		const dts = video ? n * 3600 : n * 1920;
		return { trackId: video ? 1 : 2, dts, pts: dts, duration: 0, keyframe: true, data: PAYLOAD };
	});

for (const brand of ['mp4', 'mov'] as const) {
	test(`${brand} past 4 GiB: 64-bit mdat size and exact co64 offsets`, () => {
		const sink = new CountingSink();
		const muxer = new Mp4Muxer(tracks, sink, { brand });
		muxer.writeHeader();
		for (const packet of packets()) muxer.writePacket(packet);
		muxer.finish();

		const head = sink.kept.get(0) as Uint8Array;
		const ftyp = [...childBoxes(head, 0, head.length)][0];
		assert.is(ftyp?.type, 'ftyp');
		const mdatStart = (ftyp?.size ?? 0) as number;
		const dataStart = mdatStart + 16;
		const mdatEnd = dataStart + PACKETS * PAYLOAD.length;
		assert.ok(mdatEnd > 2 ** 32, 'the file is past 4 GiB');
		const view = new DataView(head.buffer);
		assert.is(view.getUint32(mdatStart), 1, 'mdat size = 1: largesize follows');
		assert.is(String.fromCharCode(...head.subarray(mdatStart + 4, mdatStart + 8)), 'mdat');
		assert.is(readU64(view, mdatStart + 8), mdatEnd - mdatStart, 'largesize covers every payload byte');

		const moov = sink.kept.get(mdatEnd);
		assert.ok(moov, 'moov right after mdat');
		assert.ok(Buffer.from(moov).includes('co64'), 'co64 chunk offsets');

		// mp4box.js reads the sample offsets from ftyp + moov alone.
		const file = createFile();
		let ready = false;
		file.onReady = () => {
			ready = true;
		};
		const joined = new Uint8Array(mdatStart + moov.length);
		joined.set(head.subarray(0, mdatStart));
		joined.set(moov, mdatStart);
		file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(joined.buffer, 0), true);
		file.flush();
		assert.ok(ready, 'mp4box read the moov');
		for (const track of tracks) {
			const samples = file.getTrackSamplesInfo(track.id);
			assert.is(samples.length, PACKETS / 2);
			samples.forEach((sample, n) => {
				const index = 2 * n + (track.id === 1 ? 0 : 1);
				assert.is(sample.offset, dataStart + index * PAYLOAD.length, `track ${track.id} sample ${n} offset`);
			});
		}
	});
}

test.run();
