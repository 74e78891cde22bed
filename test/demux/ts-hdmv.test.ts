/**
 * Blu-ray (HDMV) transport streams and private PES streams that no descriptor identifies: read as
 * Blu-ray defines the stream types and as the payload says, like ffmpeg's mpegts demuxer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { TsStreamType } from '../../src/codec/mpeg-ts.ts';
import { probeStreams } from '../helpers/media-check.ts';
import { PACKET, withPacketsInserted, withPmtEntries, withPmtRewritten } from '../helpers/ts-edit.ts';
import { demuxTs, ffmpegMake, H264_FAST, lavfiInputs, tempFolder, WarningCollector } from '../helpers/ts-media.ts';

const temp = tempFolder();
test.after(() => temp.done());

const M2TS_MODE = ['-f', 'mpegts', '-mpegts_m2ts_mode', '1'];

/** The 188-byte packets of an M2TS file (each 192-byte unit less its 4-byte timestamp prefix). */
const withoutPrefixes = (m2ts: Uint8Array): Uint8Array => {
	const out = new Uint8Array((m2ts.length / 192) * PACKET);
	for (let i = 0; i < m2ts.length / 192; i++) out.set(m2ts.subarray(i * 192 + 4, (i + 1) * 192), i * PACKET);
	return out;
};

/** A copy of `ts` whose PMT types the stream typed `from` as `to` (ffmpeg writes no descriptors for it). */
const retyped = (ts: Uint8Array, from: number, to: number): Uint8Array =>
	withPmtRewritten(ts, (body) => {
		const programInfoLength = ((body[7]! & 0x0f) << 8) | body[8]!;
		for (let e = 9 + programInfoLength; e + 5 <= body.length; e += 5 + (((body[e + 3]! & 0x0f) << 8) | body[e + 4]!)) {
			if (body[e] === from) body[e] = to;
		}
	});

test("ffmpeg's M2TS mode: AAC typed as private PES under the HDMV registration is read, every frame like ffprobe's", async () => {
	const file = temp.path('hdmv-aac.m2ts');
	const bytes = await ffmpegMake([...lavfiInputs(), ...H264_FAST, '-c:a', 'aac', ...M2TS_MODE], file);
	const { collector, demuxer, stats } = demuxTs(bytes);
	const audio = collector.tracks.find((t) => t.kind === 'audio');
	assert.equal([audio?.codec, audio?.audio?.sampleRate], ['aac', 48_000]);
	const probed = (await probeStreams(file)).find((s) => s.codecType === 'audio')!;
	assert.is(collector.of(audio!.id).length, probed.packets, 'audio packets');
	assert.is(stats.droppedUnits, 0);
	assert.equal(collector.warnings, []);
	const entry = demuxer.programs[0]!.streams.find((s) => s.streamType === TsStreamType.PrivatePes);
	assert.ok(entry?.carried, 'listed as carried');
});

test('a private PES with no descriptor holding AC-3 is read as AC-3', async () => {
	const bytes = await ffmpegMake([...lavfiInputs(1), ...H264_FAST, '-c:a', 'ac3', '-f', 'mpegts'], temp.path('ac3.ts'));
	const reference = demuxTs(bytes).collector;
	const { collector } = demuxTs(retyped(bytes, TsStreamType.Ac3, TsStreamType.PrivatePes));
	assert.equal(collector.tracks, reference.tracks);
	assert.equal(collector.packets, reference.packets);
	assert.equal(collector.warnings, []);
});

/** One PES packet in one TS packet: a PTS and payload bytes that are no audio frame. */
const noisePes = (pid: number, n: number): Uint8Array => {
	const packet = new Uint8Array(PACKET).fill(0x5a);
	const pts = 126_000 + n * 3600;
	packet.set([0x47, 0x40 | (pid >> 8), pid & 0xff, 0x10 | (n & 0x0f)]);
	packet.set([0, 0, 1, 0xbd, 0, 0, 0x80, 0x80, 5], 4); // private_stream_1, PTS only, unbounded length
	packet.set(
		[
			0x21 | ((pts >> 29) & 0x0e),
			(pts >> 22) & 0xff,
			((pts >> 14) & 0xfe) | 1,
			(pts >> 7) & 0xff,
			((pts << 1) & 0xfe) | 1,
		],
		13,
	);
	return packet;
};

test('in an HDMV program Blu-ray stream types are named (0x86 is DTS-HD MA, not SCTE-35); an unreadable private PES is named and does not hold the tracks back', async () => {
	const m2ts = await ffmpegMake([...lavfiInputs(), ...H264_FAST, '-c:a', 'aac', ...M2TS_MODE], temp.path('hdmv.m2ts'));
	const ts = withoutPrefixes(m2ts);
	const reference = demuxTs(ts).collector;
	const edited = withPacketsInserted(
		withPmtEntries(ts, [
			{ streamType: 0x86, pid: 0x1f0, descriptors: [] },
			{ streamType: 0x90, pid: 0x1f1, descriptors: [] },
			{ streamType: 0x06, pid: 0x1f2, descriptors: [] },
		]),
		(n) => noisePes(0x1f2, n),
		10,
	);
	const { collector, stats } = demuxTs(edited);
	assert.equal(collector.tracks, reference.tracks, 'no track for the unreadable streams');
	for (const track of reference.tracks) {
		assert.is(collector.of(track.id).length, reference.of(track.id).length, `${track.kind} packets`);
	}
	const messages = collector.warnings.map((w) => `${w.code}: ${w.message}`).join('\n');
	assert.match(messages, /unsupported_stream: PID 0x01f0: stream type 0x86 \(DTS-HD Master Audio\) not carried/);
	assert.match(messages, /unsupported_stream: PID 0x01f1: stream type 0x90 \(PGS subtitles\) not carried/);
	assert.match(messages, /unsupported_stream: PID 0x01f2: stream type 0x06 \(private PES\) not carried: .*neither AAC/);
	assert.ok(stats.droppedUnits > 8, 'its PES are counted as dropped');
	// Once the private PES is found unreadable the tracks stop waiting for it (no 10 s hold-back).
	const early = new WarningCollector();
	new TsDemuxer(early).push(edited.subarray(0, Math.floor(edited.length / 2 / PACKET) * PACKET));
	assert.ok(early.of(1).length > 0, 'video delivered before the end of the input');
});

test.run();
