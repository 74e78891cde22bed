import * as assert from 'uvu/assert';
import { TsStreamType } from '../../src/codec/mpeg-ts.ts';
import type { Packet } from '../../src/core/packet.ts';
import { pidOfStreamType } from '../helpers/corpus-ts.ts';
import { test } from '../helpers/suite.ts';
import { PACKET, packetsOf, payloadAt, unitStartAt, withoutPackets } from '../helpers/ts-edit.ts';
import { demuxTs, ffmpegMake, H264_FAST, lavfiInputs, tempFolder } from '../helpers/ts-media.ts';

const temp = tempFolder();
test.after(() => temp.done());

/** H.264 + ADTS AAC at 48 kHz stereo, 128 kbit/s: ffmpeg packs several ADTS frames in each audio PES. */
const makeInput = () =>
	ffmpegMake(
		[...lavfiInputs(3), '-ac', '2', ...H264_FAST, '-c:a', 'aac', '-b:a', '128k', '-f', 'mpegts'],
		temp.path('damage-input.ts'),
	);

const ptsOf = (packets: Packet[]): number[] => packets.map((p) => p.pts);
const missing = (all: number[], kept: number[]): number[] => all.filter((t) => !kept.includes(t));

test('one lost TS packet inside an audio PES costs only the frames it touched; the rest keep their timestamps', async () => {
	const bytes = await makeInput();
	const audioPid = pidOfStreamType(bytes, TsStreamType.AacAdts);
	const packets = packetsOf(bytes, audioPid);
	// a packet in the middle of a PES of many packets: not its first, not its last
	const victim = packets.findIndex(
		(at, i) =>
			i > 40 && !unitStartAt(bytes, at) && !unitStartAt(bytes, packets[i + 1]!) && !unitStartAt(bytes, packets[i - 1]!),
	);
	const reference = demuxTs(bytes).collector;
	const { collector, stats } = demuxTs(withoutPackets(bytes, [packets[victim]!]));
	const all = ptsOf(reference.of(2));
	const kept = ptsOf(collector.of(2));
	const lost = missing(all, kept);
	assert.ok(
		lost.length >= 1 && lost.length <= 2,
		`frames lost: ${lost.length} (a PES holds ${all.length / packets.filter((at) => unitStartAt(bytes, at)).length} on average)`,
	);
	assert.ok(
		kept.every((t) => all.includes(t)),
		'every kept frame has its true timestamp',
	);
	assert.is(stats.discontinuities, 1);
	assert.ok(
		collector.codes().some((c) => c === 'dropped_data' || c === 'corrupt_data'),
		'the loss is said',
	);
	assert.equal(ptsOf(collector.of(1)), ptsOf(reference.of(1)), 'video untouched');
});

/** Offsets of ADTS headers wholly inside one TS packet of `pid`, past the PES header. */
const adtsHeaders = (bytes: Uint8Array, pid: number): number[] => {
	const out: number[] = [];
	for (const at of packetsOf(bytes, pid)) {
		const start = unitStartAt(bytes, at)
			? payloadAt(bytes, at) + 9 + bytes[payloadAt(bytes, at) + 8]!
			: payloadAt(bytes, at);
		for (let i = start; i + 7 <= at + PACKET; i++)
			if (bytes[i] === 0xff && (bytes[i + 1]! & 0xf6) === 0xf0) out.push(i);
	}
	return out;
};

test('a corrupt ADTS header (another sample rate on one frame) is not a configuration change: no frame lost', async () => {
	const bytes = await makeInput();
	const headers = adtsHeaders(bytes, pidOfStreamType(bytes, TsStreamType.AacAdts));
	const damaged = bytes.slice();
	const at = headers[Math.floor(headers.length / 2)]!;
	damaged[at + 2] = (damaged[at + 2]! & 0xc3) | (4 << 2); // sampling_frequency_index 3 (48 kHz) → 4 (44.1 kHz)
	const reference = demuxTs(bytes).collector;
	const { collector } = demuxTs(damaged);
	assert.is(collector.announcements.length, 1, 'announced once');
	assert.is(collector.tracks[1]!.timescale, 48_000);
	assert.equal(ptsOf(collector.of(2)), ptsOf(reference.of(2)), 'every frame, same timestamps');
	assert.ok(collector.codes().includes('corrupt_data'));
	assert.not.ok(collector.codes().includes('parameter_change'));
});

test('a real sample rate change is announced once it repeats, and no frame of either rate is lost', async () => {
	const first = await makeInput();
	const second = await ffmpegMake(
		[...lavfiInputs(2, 44_100), '-ac', '2', ...H264_FAST, '-c:a', 'aac', '-output_ts_offset', '3.2', '-f', 'mpegts'],
		temp.path('damage-44k.ts'),
	);
	const joined = new Uint8Array(first.length + second.length);
	joined.set(first);
	joined.set(second, first.length);
	const { collector } = demuxTs(joined);
	const counts = [first, second].map((part) => demuxTs(part).collector.of(2).length);
	assert.is(collector.of(2).length, counts[0]! + counts[1]!);
	assert.equal(
		collector.announcements.map((tracks) => tracks[1]!.timescale),
		[48_000, 44_100],
	);
	assert.ok(collector.codes().includes('parameter_change'));
});

test('bytes damaged inside an audio PES: resync on the next frame whose successor confirms it', async () => {
	const bytes = await makeInput();
	const headers = adtsHeaders(bytes, pidOfStreamType(bytes, TsStreamType.AacAdts));
	const damaged = bytes.slice();
	const at = headers[Math.floor(headers.length / 3)]!;
	damaged.fill(0xff, at, at + 5); // a header made of sync-like bytes, then the frame's own bytes
	const reference = demuxTs(bytes).collector;
	const { collector, stats } = demuxTs(damaged);
	const lost = missing(ptsOf(reference.of(2)), ptsOf(collector.of(2)));
	assert.is(lost.length, 1, 'only the damaged frame');
	assert.ok(stats.skippedBytes > 0);
	assert.is(collector.announcements.length, 1);
});

test('losing the first packet of a video PES keeps the picture before it, which was complete', async () => {
	const bytes = await makeInput();
	const videoPid = pidOfStreamType(bytes, TsStreamType.H264);
	const starts = packetsOf(bytes, videoPid).filter((at) => unitStartAt(bytes, at));
	const reference = demuxTs(bytes).collector;
	const { collector, stats } = demuxTs(withoutPackets(bytes, [starts[20]!]));
	const lost = missing(ptsOf(reference.of(1)), ptsOf(collector.of(1)));
	assert.is(lost.length, 1, 'only the picture whose start was lost');
	assert.is(lost[0], reference.of(1)[20]!.pts);
	assert.is(stats.discontinuities, 1);
});

test.run();
