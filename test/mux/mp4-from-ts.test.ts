/**
 * MPEG-TS in, MP4/MOV/fMP4 out, the way the recorder runs: the TS demuxer announces tracks and
 * pushes packets straight into the muxers (payload views valid only during the call). Output is
 * clean, exact against the demuxed packets, and keeps the TS file's durations and A/V offset;
 * the fMP4 also defragments into a clean MP4.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { type FixtureName, fixture } from '../../fixtures/fixtures.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { defragmentMp4 } from '../../mux/mp4/defragment.ts';
import { FragmentedMp4Muxer } from '../../mux/mp4/fragmented-mp4-muxer.ts';
import { Mp4Muxer } from '../../mux/mp4/mp4-muxer.ts';
import type { Muxer } from '../../mux/muxer.ts';
import type { MediaReceiver } from '../../src/core/media-receiver.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { assertFaithfulMp4 } from '../helpers/mp4box-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('mp4-ts');

const FORMATS = ['mp4', 'mov', 'fmp4'] as const;

/** Demuxes `name` into one muxer per format; returns the packets seen (copied) and the files. */
const record = async (name: FixtureName) => {
	const tracks: Track[] = [];
	const packets: Packet[] = [];
	const sinks: FileSink[] = [];
	const muxers: Muxer[] = [];
	const files = FORMATS.map((format) => join(dir, `${name}.${format === 'fmp4' ? 'fmp4.mp4' : format}`));
	const receiver: MediaReceiver = {
		announce(announced) {
			assert.is(muxers.length, 0, 'one announcement');
			tracks.push(...announced);
			FORMATS.forEach((format, index) => {
				const sink = new FileSink(files[index] as string);
				sinks.push(sink);
				const muxer =
					format === 'fmp4'
						? new FragmentedMp4Muxer(announced, sink)
						: new Mp4Muxer(announced, sink, { brand: format });
				muxer.writeHeader();
				muxers.push(muxer);
			});
		},
		push(packet) {
			packets.push({ ...packet, data: packet.data.slice() });
			for (const muxer of muxers) muxer.writePacket(packet);
		},
	};
	const demuxer = new TsDemuxer(receiver);
	demuxer.push(readFileSync(fixture(name)));
	demuxer.end();
	for (const muxer of muxers) muxer.finish();
	await Promise.all(sinks.map((s) => s.close()));
	return { source: { tracks, packets }, files };
};

for (const name of ['h264-aac48', 'h265-aac48'] as const) {
	test(`${name} TS → mp4, mov, fmp4 and defragmented mp4: clean, exact, timing kept`, async () => {
		const { source, files } = await record(name);
		assert.ok(source.packets.length > 0, 'the demuxer delivered packets');
		for (const file of files) await assertFaithfulMp4(file, fixture(name), source);
		const defragmented = join(dir, `${name}-defragmented.mp4`);
		await defragmentMp4(files[2] as string, defragmented, { brand: 'mp4' });
		await assertFaithfulMp4(defragmented, fixture(name), source);
	});
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
