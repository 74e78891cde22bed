import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { type FixtureName, fixture } from '../../fixtures/fixtures.ts';
import { adtsFraming } from '../../ingest/demux/ts/audio-framing.ts';
import { FramedAudioElementaryStream } from '../../ingest/demux/ts/framed-audio-elementary-stream.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { crc32Mpeg } from '../../src/bytes/crc32-mpeg.ts';
import { parseDOps } from '../../src/codec/opus.ts';
import { emptyDemuxStats } from '../../src/core/media-receiver.ts';
import type { Packet } from '../../src/core/packet.ts';
import { TWO_POW_33 } from '../../src/core/time.ts';
import type { Track } from '../../src/core/track.ts';
import { decodeErrors, probeCodecs, probeStreams } from '../helpers/media-check.ts';
import { PacketCollector } from '../helpers/packet-collector.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const read = (name: FixtureName): Uint8Array => new Uint8Array(readFileSync(fixture(name)));

/** Demuxes `bytes` pushed in chunks of `chunk` bytes (an odd size by default, so packets straddle chunks). */
const demux = (bytes: Uint8Array, chunk = 10_007) => {
	const collector = new PacketCollector();
	const demuxer = new TsDemuxer(collector);
	for (let at = 0; at < bytes.length; at += chunk) demuxer.push(bytes.subarray(at, at + chunk));
	demuxer.end();
	return { collector, stats: demuxer.stats };
};

const seconds = (track: Track, ticks: number): number => ticks / track.timescale;

/** Largest |ours − ffprobe's| over paired timestamps, after mapping both to 90 kHz modulo 2^33 (ffprobe shows wrapped times negative). */
const maxDifference = (ours: number[], theirs: number[]): number => {
	let worst = 0;
	for (let i = 0; i < ours.length; i++) {
		let d = (ours[i]! - theirs[i]!) * 90_000;
		d = (((d % TWO_POW_33) + TWO_POW_33 * 1.5) % TWO_POW_33) - TWO_POW_33 / 2;
		worst = Math.max(worst, Math.abs(d) / 90_000);
	}
	return worst;
};

/** Per track: packet count, keyframes, PTS and DTS against ffprobe of the same file (a 1-sample tolerance for audio). */
/**
 * Our packets equal ffprobe's, but for `droppedTail` packets per kind at the end that ffprobe reads
 * and we drop on purpose (a frame cut off by the end of the input).
 */
const assertMatchesFfprobe = async (
	name: FixtureName,
	collector: PacketCollector,
	droppedTail: Partial<Record<string, number>> = {},
) => {
	const probed = await probeStreams(fixture(name));
	const tracks = collector.tracks;
	assert.is(tracks.length, probed.length, 'one track per stream');
	for (const [index, stream] of probed.entries()) {
		const track = tracks[index]!;
		const packets = collector.of(track.id);
		const kept = stream.packets - (droppedTail[stream.codecType] ?? 0);
		const keptPts = stream.pts.slice(0, kept);
		assert.is(track.kind, stream.codecType, `${name} stream ${index} kind`);
		assert.is(packets.length, kept, `${name} ${track.kind} packets`);
		const keyframes = stream.keyframePts.filter((t) => keptPts.includes(t)).length;
		assert.is(packets.filter((p) => p.keyframe).length, keyframes, `${name} ${track.kind} keyframes`);
		const tolerance = 1 / 90_000 + 1 / track.timescale;
		const pts = packets.map((p) => seconds(track, p.pts));
		const dts = packets.map((p) => seconds(track, p.dts));
		assert.ok(maxDifference(pts, keptPts) <= tolerance, `${name} ${track.kind} PTS`);
		assert.ok(maxDifference(dts, stream.dts.slice(0, kept)) <= tolerance, `${name} ${track.kind} DTS`);
	}
};

for (const name of [
	'h264-aac48',
	'h264-aac44',
	'aac44-only',
	'h265-aac48',
	'h264-mp3',
	'h264-ac3',
	'h264-opus',
] as const) {
	test(`${name}: packets, keyframes and timestamps equal ffprobe's`, async () => {
		const { collector, stats } = demux(read(name));
		assert.is(collector.announcements.length, 1, 'announced once');
		assert.equal([stats.discontinuities, stats.droppedUnits, stats.skippedBytes], [0, 0, 0]);
		await assertMatchesFfprobe(name, collector);
	});
}

test('track configs equal what ffmpeg writes into MP4 (avcC byte for byte, ASC), sizes and rates too', async () => {
	const { collector } = demux(read('h264-aac44'));
	const mp4 = `${fixture('h264-aac44')}.ffmpeg-copy.mp4`;
	assert.is(
		(await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', fixture('h264-aac44'), '-c', 'copy', mp4])).code,
		0,
	);
	const [video, audio] = await probeCodecs(mp4);
	const [ourVideo, ourAudio] = collector.tracks;
	assert.equal(ourVideo!.config, video!.extradata);
	assert.equal(ourVideo!.video, { width: video!.width!, height: video!.height! });
	assert.equal(ourAudio!.config, audio!.extradata);
	assert.equal(ourAudio!.audio, { sampleRate: 44_100, channels: audio!.channels! });
	assert.is(ourAudio!.timescale, 44_100);
	assert.is(ourVideo!.timescale, 90_000);
});

test('MP3, AC-3 and Opus tracks: codec, rate, channels; Opus dOps takes the first start trim as pre-skip', () => {
	const audio = (name: FixtureName) => demux(read(name)).collector.tracks[1]!;
	const mp3 = audio('h264-mp3');
	const ac3 = audio('h264-ac3');
	const opus = audio('h264-opus');
	assert.equal(
		[mp3.codec, mp3.timescale, mp3.audio, mp3.config.length],
		['mp3', 48_000, { sampleRate: 48_000, channels: 1 }, 0],
	);
	assert.equal(
		[ac3.codec, ac3.timescale, ac3.audio, ac3.config.length],
		['ac3', 48_000, { sampleRate: 48_000, channels: 2 }, 0],
	);
	assert.equal([opus.codec, opus.timescale, opus.audio], ['opus', 48_000, { sampleRate: 48_000, channels: 2 }]);
	assert.equal(parseDOps(opus.config), { channels: 2, preSkip: 312, inputSampleRate: 48_000, mappingFamily: 0 });
});

test('video payload is length-prefixed without AUD or parameter sets; keyframes start with an IDR', () => {
	const { collector } = demux(read('h264-aac48'));
	for (const packet of collector.of(1)) {
		const types: number[] = [];
		for (let at = 0; at < packet.data.length; ) {
			const length = new DataView(packet.data.buffer, packet.data.byteOffset).getUint32(at);
			types.push(packet.data[at + 4]! & 0x1f);
			at += 4 + length;
			assert.ok(at <= packet.data.length, 'lengths stay inside the packet');
		}
		assert.not.ok(
			types.some((t) => t === 7 || t === 8 || t === 9),
			`no SPS/PPS/AUD, got ${types}`,
		);
		assert.is(packet.keyframe, types.includes(5));
	}
});

test('pts-wrap: DTS keeps growing past 2^33 and matches ffprobe modulo 2^33', async () => {
	const { collector } = demux(read('pts-wrap'));
	for (const track of collector.tracks) {
		const dts = collector.of(track.id).map((p) => (p.dts * 90_000) / track.timescale);
		for (let i = 1; i < dts.length; i++) assert.ok(dts[i]! > dts[i - 1]!, `${track.kind} DTS increases at ${i}`);
		assert.ok(dts[0]! < TWO_POW_33 && dts.at(-1)! > TWO_POW_33, `${track.kind} crosses 2^33`);
	}
	await assertMatchesFfprobe('pts-wrap', collector);
});

test("no-leading-keyframe: what we read is ffprobe's packets from the first PES after the PMT on", async () => {
	const { collector } = demux(read('no-leading-keyframe'));
	const probed = await probeStreams(fixture('no-leading-keyframe'));
	for (const [index, stream] of probed.entries()) {
		const track = collector.tracks[index]!;
		const packets = collector.of(track.id);
		// ffprobe also guesses streams before the PMT; we start at the PMT, so we may lack a first few packets
		const skipped = stream.packets - packets.length;
		assert.ok(skipped >= 0 && skipped <= 3, `${track.kind}: ${skipped} packets fewer`);
		const theirs = stream.pts.slice(skipped);
		assert.ok(
			maxDifference(
				packets.map((p) => seconds(track, p.pts)),
				theirs,
			) <=
				1 / 90_000 + 1 / track.timescale,
		);
		assert.is(packets.filter((p) => p.keyframe).length, stream.keyframes);
	}
});

test('truncated: the cut packet is counted, the cut-off last frame dropped, the rest read like ffprobe reads it', async () => {
	const { collector, stats } = demux(read('truncated'));
	assert.ok(stats.skippedBytes > 0 && stats.skippedBytes < 188);
	assert.is(stats.droppedUnits, 1, 'the video frame cut off by the end is dropped and counted');
	// ffprobe hands that frame on, and decoding it fails: that is why we drop it.
	assert.match(await decodeErrors(fixture('truncated')), /error|corrupt|concealing|Invalid/i);
	await assertMatchesFfprobe('truncated', collector, { video: 1 });
});

test('chunking does not matter: byte by byte equals all at once', () => {
	const bytes = read('aac44-only').subarray(0, 188 * 120);
	const whole = demux(bytes, bytes.length).collector;
	const single = demux(bytes, 1).collector;
	assert.equal(single.packets, whole.packets);
	assert.equal(single.tracks, whole.tracks);
});

/** Deterministic pseudo-random bytes (xorshift32). */
const noise = (length: number, seed: number): Uint8Array => {
	const out = new Uint8Array(length);
	let x = seed;
	for (let i = 0; i < length; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xff;
	}
	return out;
};

test('garbage before and inside the stream is skipped, counted, and sync comes back', () => {
	const clean = read('h264-aac48');
	const cut = 188 * 500 + 77; // in the middle of a packet
	const junk = noise(1000, 7);
	const dirty = new Uint8Array(50 + clean.length + junk.length);
	dirty.set(noise(50, 3), 0);
	dirty.set(clean.subarray(0, cut), 50);
	dirty.set(junk, 50 + cut);
	dirty.set(clean.subarray(cut), 50 + cut + junk.length);
	const { collector, stats } = demux(dirty);
	const reference = demux(clean).collector;
	assert.ok(stats.skippedBytes >= 1050, `skipped ${stats.skippedBytes}`);
	assert.ok(stats.discontinuities + stats.droppedUnits >= 1, 'the damaged packet is noticed');
	// at most the PES hit is lost: one video frame, or one audio PES (ffmpeg packs up to ~12 ADTS frames in one)
	assert.ok(collector.of(1).length >= reference.of(1).length - 1, 'video frames lost');
	assert.ok(collector.of(2).length >= reference.of(2).length - 12, 'audio frames lost');
	assert.equal(collector.tracks, reference.tracks);
});

test('random bytes and random packets with a sync byte never throw', () => {
	const { collector, stats } = demux(noise(1 << 20, 99), 4096);
	assert.is(collector.packets.length, 0);
	assert.ok(stats.skippedBytes > 0);
	const fake = noise(188 * 2000, 5);
	for (let at = 0; at < fake.length; at += 188) {
		fake[at] = 0x47;
		if (at % (188 * 7) === 0) fake[at + 1] = (fake[at + 1]! & 0x40) | 0x00; // PID 0: PAT sections from noise
		if (at % (188 * 7) === 0) fake[at + 2] = 0;
	}
	demux(fake, 1316);
	// a real stream with every 50th packet's payload scrambled
	const damaged = read('h264-aac48').slice();
	for (let at = 188 * 3; at < damaged.length; at += 188 * 50) damaged.set(noise(180, at), at + 8);
	const result = demux(damaged);
	assert.ok(result.collector.packets.length > 0);
});

test('a lost TS packet is a counted discontinuity; the picture it hit goes on damaged, as ffmpeg passes it', async () => {
	const clean = read('h264-aac48');
	// drop the 40th packet of the video PID (0x100)
	let seen = 0;
	let drop = -1;
	for (let at = 0; at < clean.length; at += 188) {
		if ((((clean[at + 1]! & 0x1f) << 8) | clean[at + 2]!) === 0x100 && ++seen === 40) drop = at;
	}
	const lossy = new Uint8Array(clean.length - 188);
	lossy.set(clean.subarray(0, drop));
	lossy.set(clean.subarray(drop + 188), drop);
	const collector = new PacketCollector();
	const warnings: string[] = [];
	const demuxer = new TsDemuxer(Object.assign(collector, { warn: (w: { code: string }) => warnings.push(w.code) }));
	demuxer.push(lossy);
	demuxer.end();
	const reference = demux(clean).collector;
	assert.is(demuxer.stats.discontinuities, 1);
	assert.equal([demuxer.stats.droppedUnits, demuxer.stats.corruptUnits], [0, 1]);
	assert.equal(warnings, ['corrupt_data']);
	// every picture, with its timestamps; one is 184 bytes short
	const ours = collector.of(1);
	const theirs = reference.of(1);
	assert.equal(
		ours.map((p) => [p.pts, p.dts, p.keyframe]),
		theirs.map((p) => [p.pts, p.dts, p.keyframe]),
	);
	assert.is(ours.filter((p, i) => p.data.length !== theirs[i]!.data.length).length, 1);
	assert.is(collector.of(2).length, reference.of(2).length);
	// ffmpeg keeps that picture too: as many video packets as ffprobe reads
	const dir = tempDir('lossy');
	try {
		writeFileSync(join(dir, 'lossy.ts'), lossy);
		assert.is((await probeStreams(join(dir, 'lossy.ts')))[0]!.packets, ours.length);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

/** Rewrites every PMT section (PID 0x1000, one section per packet as ffmpeg writes it) to `version`. */
const withPmtVersion = (bytes: Uint8Array, version: number): Uint8Array => {
	const out = bytes.slice();
	for (let at = 0; at < out.length; at += 188) {
		if ((((out[at + 1]! & 0x1f) << 8) | out[at + 2]!) !== 0x1000 || !(out[at + 1]! & 0x40)) continue;
		const section = at + 5 + out[at + 4]!;
		const length = 3 + (((out[section + 1]! & 0x0f) << 8) | out[section + 2]!);
		out[section + 5] = (out[section + 5]! & 0xc1) | (version << 1);
		new DataView(out.buffer).setUint32(section + length - 4, crc32Mpeg(out, section, section + length - 4));
	}
	return out;
};

test('a PMT version change mid-stream announces the new track set', () => {
	const first = read('h264-aac48');
	const second = withPmtVersion(read('aac44-only'), 1);
	const joined = new Uint8Array(first.length + second.length);
	joined.set(first);
	joined.set(second, first.length);
	const { collector } = demux(joined);
	assert.is(collector.announcements.length, 2);
	const [before, after] = collector.announcements;
	assert.equal(
		before!.map((t) => [t.id, t.codec, t.timescale]),
		[
			[1, 'h264', 90_000],
			[2, 'aac', 48_000],
		],
	);
	// the new program's audio is on the old video PID: a new audio track
	assert.equal(
		after!.map((t) => [t.id, t.kind, t.name, t.timescale]),
		[[3, 'audio', 'audio2', 44_100]],
	);
	assert.is(collector.of(3).length, 174);
	assert.is(collector.of(1).length, 100);
});

test('ADTS frames split across PES at any byte keep their timestamps: PTS + n·1024', () => {
	const frames = read('aac-22k-mono');
	const collect = (cuts: number[]) => {
		const packets: Packet[] = [];
		const sink = {
			configured: () => {},
			unit: (p: Packet) => packets.push({ ...p, data: p.data.slice() }),
			warn: () => {},
			abandoned: () => {},
		};
		const identity = { id: 1, name: 'audio', pid: 0x101 };
		const stream = new FramedAudioElementaryStream(adtsFraming, identity, sink, emptyDemuxStats());
		const ending = { cut: false, next: undefined, nextPtsDiffers: false };
		let from = 0;
		for (const cut of [...cuts, frames.length]) {
			// only the first PES is dated: the rest follow the frame clock
			stream.pes(frames.slice(from, cut), from === 0 ? 90_000 : Number.NaN, Number.NaN, ending);
			from = cut;
		}
		stream.end();
		return packets;
	};
	const whole = collect([]);
	assert.is(whole[0]!.pts, 22_050);
	assert.is(whole[5]!.pts, 22_050 + 5 * 1024);
	assert.equal(collect([1, 2, 3, 100, 101, 1000, 1003, 5000]), whole);
});

test.run();
