import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { AacDepacketizer } from '../../ingest/demux/rtp/aac-depacketizer.ts';
import { DecodeTimestamper } from '../../ingest/demux/rtp/decode-timestamper.ts';
import { H264Depacketizer } from '../../ingest/demux/rtp/h264-depacketizer.ts';
import { H265Depacketizer } from '../../ingest/demux/rtp/h265-depacketizer.ts';
import type { AccessUnitReceiver, CodecParameters, RtpDepacketizer } from '../../ingest/demux/rtp/rtp-depacketizer.ts';
import { parseRtpPacket, type RtpPacket } from '../../ingest/demux/rtp/rtp-packet.ts';
import { RtpReorderBuffer } from '../../ingest/demux/rtp/rtp-reorder-buffer.ts';
import { RtpMediaSession } from '../../ingest/rtsp/rtp-media-session.ts';
import { parseSdp } from '../../ingest/rtsp/sdp.ts';
import { parseAvcC } from '../../src/codec/h264.ts';
import { parseHvcC } from '../../src/codec/h265.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { test } from '../helpers/suite.ts';
import { Collector } from '../ingest/rtsp-harness.ts';

type Unit = { pts: number; dts: number; keyframe: boolean; data: Uint8Array };

class Units implements AccessUnitReceiver {
	readonly units: Unit[] = [];
	readonly parameters_: CodecParameters[] = [];
	parameters(p: CodecParameters): void {
		this.parameters_.push(p);
	}
	accessUnit(pts: number, dts: number, _duration: number, keyframe: boolean, data: Uint8Array): void {
		this.units.push({ pts, dts, keyframe, data: data.slice() });
	}
}

/** The source's tracks and packets, through the TS demuxer. */
const demuxed = (name: 'h264-aac48' | 'h265-aac48'): { tracks: readonly Track[]; packets: Packet[] } => {
	const collector = new Collector();
	const demuxer = createDemuxer('ts', collector);
	demuxer.push(readFileSync(fixture(name)));
	demuxer.end();
	return { tracks: collector.tracks, packets: collector.packets };
};

const nalsOf = (au: Uint8Array): Uint8Array[] => {
	const out: Uint8Array[] = [];
	for (let at = 0; at + 4 <= au.length; ) {
		const length = new DataView(au.buffer, au.byteOffset + at).getUint32(0);
		out.push(au.subarray(at + 4, at + 4 + length));
		at += 4 + length;
	}
	return out;
};

const rtp = (seq: number, ts: number, marker: boolean, payload: Uint8Array, pt = 96): RtpPacket => {
	const bytes = new Uint8Array(12 + payload.length);
	const view = new DataView(bytes.buffer);
	bytes[0] = 0x80;
	bytes[1] = (marker ? 0x80 : 0) | pt;
	view.setUint16(2, seq & 0xffff);
	view.setUint32(4, ts >>> 0);
	view.setUint32(8, 0x1234);
	bytes.set(payload, 12);
	return parseRtpPacket(bytes)!;
};

const MTU = 400;

/** RFC 6184 / RFC 7798 packetizer: parameter sets aggregated (STAP-A / AP), big units fragmented (FU-A / FU). */
const packetize = (codec: 'h264' | 'h265', nals: Uint8Array[], params: Uint8Array[]): Uint8Array[][] => {
	const header = codec === 'h264' ? 1 : 2;
	const payloads: Uint8Array[] = [];
	if (params.length) {
		const size = header + params.reduce((n, p) => n + 2 + p.length, 0);
		const agg = new Uint8Array(size);
		if (codec === 'h264') agg[0] = (params[0]![0]! & 0x60) | 24;
		else {
			agg[0] = 48 << 1;
			agg[1] = 1;
		}
		let at = header;
		for (const p of params) {
			agg[at] = p.length >> 8;
			agg[at + 1] = p.length & 0xff;
			agg.set(p, at + 2);
			at += 2 + p.length;
		}
		payloads.push(agg);
	}
	for (const nal of nals) {
		if (nal.length <= MTU) {
			payloads.push(nal);
			continue;
		}
		const type = codec === 'h264' ? nal[0]! & 0x1f : (nal[0]! >> 1) & 0x3f;
		for (let at = header; at < nal.length; at += MTU) {
			const chunk = nal.subarray(at, Math.min(nal.length, at + MTU));
			const start = at === header;
			const end = at + MTU >= nal.length;
			const fu = (start ? 0x80 : 0) | (end ? 0x40 : 0) | type;
			const head = codec === 'h264' ? [(nal[0]! & 0xe0) | 28, fu] : [(nal[0]! & 0x81) | (49 << 1), nal[1]!, fu];
			payloads.push(Uint8Array.from([...head, ...chunk]));
		}
	}
	return [payloads];
};

type Feed = { packets: RtpPacket[]; unitOf: number[] };

/** Source video AUs → RTP packets (in-band parameter sets before each keyframe). */
const feed = (codec: 'h264' | 'h265', count: number): { feed: Feed; source: Packet[]; config: Uint8Array } => {
	const { tracks, packets } = demuxed(codec === 'h264' ? 'h264-aac48' : 'h265-aac48');
	const video = tracks.find((t) => t.kind === 'video')!;
	const params =
		codec === 'h264'
			? [...parseAvcC(video.config).sps, ...parseAvcC(video.config).pps]
			: parseHvcC(video.config).arrays.flatMap((a) => [...a.units]);
	const source = packets.filter((p) => p.trackId === video.id).slice(0, count);
	const out: Feed = { packets: [], unitOf: [] };
	let seq = 65_530; // crosses the 16-bit wrap
	for (const [i, au] of source.entries()) {
		const [payloads] = packetize(codec, nalsOf(au.data), au.keyframe ? params : []);
		for (const [j, payload] of payloads!.entries()) {
			out.packets.push(rtp(seq++, au.pts + 4_294_000_000, j === payloads!.length - 1, payload));
			out.unitOf.push(i);
		}
	}
	return { feed: out, source, config: video.config };
};

const run = (depacketizer: RtpDepacketizer, packets: RtpPacket[], skip = new Set<number>()) => {
	const reorder = new RtpReorderBuffer({ sequenced: (p, lost) => depacketizer.push(p, p.timestamp, lost) }, 0);
	for (const [i, p] of packets.entries()) if (!skip.has(i)) reorder.push(p, 0);
	depacketizer.flush();
	return reorder.stats;
};

for (const codec of ['h264', 'h265'] as const) {
	test(`${codec}: fragmented and aggregated packets give back the source access units`, () => {
		const { feed: f, source, config } = feed(codec, 30);
		const out = new Units();
		const depacketizer = codec === 'h264' ? new H264Depacketizer(out, new Map()) : new H265Depacketizer(out, new Map());
		assert.is(depacketizer.initialParameters, undefined, 'no sprop: parameters come in-band');
		run(depacketizer, f.packets);
		assert.is(out.units.length, source.length);
		for (const [i, unit] of out.units.entries()) {
			assert.equal(unit.data, source[i]!.data, `access unit ${i}`);
			assert.is(unit.keyframe, source[i]!.keyframe, `keyframe flag ${i}`);
		}
		assert.is(out.parameters_.length, 1);
		if (codec === 'h264') assert.equal(parseAvcC(out.parameters_[0]!.config).sps, parseAvcC(config).sps);
		assert.is(depacketizer.stats.droppedUnits, 0);
	});

	test(`${codec}: a lost fragment drops its access unit and everything up to the next keyframe`, () => {
		const { feed: f, source } = feed(codec, 60);
		// A middle fragment of the first non-keyframe access unit that spans several packets.
		const victim = f.unitOf.findIndex(
			(u, i) => u > 0 && !source[u]!.keyframe && f.unitOf[i + 1] === u && f.unitOf[i - 1] === u,
		);
		assert.ok(victim > 0, 'a unit spans three packets');
		const hit = f.unitOf[victim]!;
		const out = new Units();
		const depacketizer = codec === 'h264' ? new H264Depacketizer(out) : new H265Depacketizer(out);
		const stats = run(depacketizer, f.packets, new Set([victim]));
		assert.is(stats.lost, 1);
		const nextKey = source.findIndex((p, i) => i > hit && p.keyframe);
		assert.ok(nextKey > hit, 'a keyframe follows');
		assert.is(out.units.length, source.length - (nextKey - hit), 'the damaged unit up to the next keyframe is gone');
		assert.is(depacketizer.stats.droppedUnits, nextKey - hit);
		const firstAfter = out.units[hit]!;
		assert.ok(firstAfter.keyframe, 'video resumes on a keyframe');
		assert.equal(firstAfter.data, source[nextKey]!.data);
	});
}

test('h264: sprop-parameter-sets give the configuration before any packet', () => {
	const { tracks } = demuxed('h264-aac48');
	const avcc = parseAvcC(tracks.find((t) => t.kind === 'video')!.config);
	const sprop = [...avcc.sps, ...avcc.pps].map((n) => Buffer.from(n).toString('base64')).join(',');
	const depacketizer = new H264Depacketizer(new Units(), new Map([['sprop-parameter-sets', sprop]]));
	assert.is(depacketizer.initialParameters?.codec, 'h264');
	assert.equal(depacketizer.initialParameters?.video, { width: 320, height: 240 });
	assert.is(depacketizer.initialParameters?.reorderDepth, 2, 'x264 declares 2 reorder frames');
});

const aacFmtp = new Map([
	['streamtype', '5'],
	['mode', 'AAC-hbr'],
	['config', '1190'],
	['sizelength', '13'],
	['indexlength', '3'],
	['indexdeltalength', '3'],
]);

/** An RFC 3640 AAC-hbr payload: AU-headers-length, 16-bit AU headers (13-bit size, 3-bit index), the AUs. */
const aacPayload = (frames: Uint8Array[], index = 0, delta = 0, sizes = frames.map((f) => f.length)): Uint8Array => {
	const headers = frames.map((_, i) => (sizes[i]! << 3) | (i === 0 ? index : delta));
	const out = new Uint8Array(2 + headers.length * 2 + frames.reduce((n, f) => n + f.length, 0));
	const view = new DataView(out.buffer);
	view.setUint16(0, headers.length * 16);
	for (const [i, h] of headers.entries()) view.setUint16(2 + i * 2, h);
	let at = 2 + headers.length * 2;
	for (const f of frames) {
		out.set(f, at);
		at += f.length;
	}
	return out;
};

test('aac: several AUs per packet get consecutive timestamps; interleaving is detected; fragments reassemble', () => {
	const out = new Units();
	const aac = new AacDepacketizer(out, 48_000, aacFmtp);
	assert.equal(aac.initialParameters.audio, { sampleRate: 48_000, channels: 2 });
	const frames = [1, 2, 3].map((n) => new Uint8Array(10 + n).fill(n));
	aac.push(rtp(1, 1000, true, aacPayload(frames), 97), 1000, 0);
	assert.equal(
		out.units.map((u) => u.pts),
		[1000, 2024, 3048],
	);
	assert.equal(out.units[2]!.data, frames[2]);
	aac.push(rtp(2, 4072, true, aacPayload(frames, 0, 1), 97), 4072, 0);
	assert.is(aac.stats.interleavedPackets, 1);
	// One 3000-byte AU over two packets, each with the full AU size in its header (RFC 3640 §3.2.3.5).
	const big = new Uint8Array(3000).map((_, i) => i & 0xff);
	aac.push(rtp(3, 9000, false, aacPayload([big.subarray(0, 1400)], 0, 0, [3000]), 97), 9000, 0);
	aac.push(rtp(4, 9000, true, aacPayload([big.subarray(1400)], 0, 0, [3000]), 97), 9000, 0);
	assert.equal(out.units.at(-1)!.data, big);
	// A lost fragment drops only that AU.
	aac.push(rtp(5, 10024, false, aacPayload([big.subarray(0, 1400)], 0, 0, [3000]), 97), 10024, 0);
	aac.push(rtp(7, 11048, true, aacPayload(frames.slice(0, 1)), 97), 11048, 1);
	assert.equal(out.units.at(-1)!.data, frames[0]);
	assert.is(aac.stats.droppedUnits, 1);
});

test('reorder buffer: puts swapped packets back, counts gaps, drops late duplicates, survives the wrap', () => {
	const seen: [number, number][] = [];
	const buffer = new RtpReorderBuffer({ sequenced: (p, lost) => seen.push([p.sequence, lost]) }, 8, 100);
	const push = (seq: number, at = 0) => buffer.push(rtp(seq, 0, false, new Uint8Array(1)), at);
	for (const seq of [65_534, 0, 65_535, 1, 3]) push(seq);
	assert.equal(seen, [
		[65_534, 0],
		[65_535, 0],
		[0, 0],
		[1, 0],
	]);
	push(1);
	assert.is(buffer.stats.late, 1);
	buffer.expire(50);
	assert.is(seen.length, 4, 'packet 3 waits for 2');
	buffer.expire(150);
	assert.equal(seen.at(-1), [3, 1]);
	assert.is(buffer.stats.lost, 1);
	for (let seq = 5; seq < 20; seq++) push(seq, 200);
	assert.equal(seen.at(-1), [19, 0], 'a full ring gives up on the gap without waiting');
	assert.is(buffer.stats.lost, 2);
});

test('decode timestamps: never above PTS, increasing, and matching the encoder with its declared depth', () => {
	const { tracks, packets } = demuxed('h264-aac48');
	const video = packets.filter((p) => p.trackId === tracks.find((t) => t.kind === 'video')!.id);
	const out = new Units();
	const stamper = new DecodeTimestamper(out, 90_000);
	stamper.declare({ codec: 'h264', config: new Uint8Array(0), reorderDepth: 2 });
	for (const p of video) stamper.accessUnit(p.pts, p.pts, 0, p.keyframe, p.data);
	stamper.flush();
	assert.is(out.units.length, video.length);
	for (const [i, u] of out.units.entries()) {
		assert.ok(u.dts <= u.pts, `dts ≤ pts at ${i}`);
		if (i > 0) assert.ok(u.dts > out.units[i - 1]!.dts, `increasing at ${i}`);
		assert.is(u.dts, video[i]!.dts, `same DTS as the encoder at ${i}`);
	}
	assert.is(stamper.fixups, 0);
});

test('fuzz: random and bit-flipped RTP payloads never throw', () => {
	let seed = 42;
	const random = () => {
		seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
		return seed / 2_147_483_648;
	};
	const { feed: f } = feed('h264', 30);
	const { feed: g } = feed('h265', 30);
	const targets: [RtpDepacketizer, RtpPacket[]][] = [
		[new H264Depacketizer(new Units()), f.packets],
		[new H265Depacketizer(new Units(), new Map([['sprop-max-don-diff', '1']])), g.packets],
		[new H265Depacketizer(new Units()), g.packets],
		[new AacDepacketizer(new Units(), 48_000, aacFmtp), f.packets],
	];
	for (const [depacketizer, packets] of targets) {
		for (let round = 0; round < 3; round++) {
			for (const [i, p] of packets.entries()) {
				const payload = p.payload.slice();
				const flips = Math.floor(random() * 4);
				for (let k = 0; k < flips; k++) {
					const at = Math.floor(random() * payload.length);
					payload[at] = (payload[at] ?? 0) ^ (1 << Math.floor(random() * 8));
				}
				const cut = random() < 0.1 ? payload.subarray(0, Math.floor(random() * payload.length)) : payload;
				depacketizer.push(rtp(i, p.timestamp, random() < 0.3, cut), p.timestamp, random() < 0.05 ? 1 : 0);
			}
			const noise = new Uint8Array(64).map(() => Math.floor(random() * 256));
			depacketizer.push(rtp(0, 0, true, noise), 0, 0);
		}
		depacketizer.flush();
	}
	// A whole session (RTP and RTCP parsing, reorder buffers, alignment) under random datagrams.
	const sdp = parseSdp(
		'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=video 0 RTP/AVP 98\r\na=rtpmap:98 H265/90000\r\n' +
			'm=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\na=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190\r\n',
	);
	const session = new RtpMediaSession(sdp.media, new Collector(), { reorderCapacity: 16 });
	for (let i = 0; i < 5000; i++) {
		const bytes = new Uint8Array(Math.floor(random() * 80)).map(() => Math.floor(random() * 256));
		if (bytes.length > 1) bytes[0] = random() < 0.8 ? 0x80 | (bytes[0]! & 0x3f) : bytes[0]!;
		if (bytes.length > 1 && random() < 0.3) bytes[1] = [96, 97, 98, 200, 0x80 | 96][Math.floor(random() * 5)]!;
		session.receiveRtp(i % 4, bytes, i);
		if (i % 7 === 0) session.receiveRtcp(i % 3, bytes, i);
		if (i % 50 === 0) session.tick(i);
	}
	session.receiverReports(5000);
	session.end();
	assert.ok(session.stats().received > 0);
});

test.run();
