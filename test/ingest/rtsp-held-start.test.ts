/**
 * An RTSP session holds its start (until every track has its parameters and timing anchors, here
 * kept for as long as the test likes). If the encoder changes its SPS/PPS during that hold (a new
 * resolution), the frames made before the change must reach the bus announced with the old
 * parameters and those after it with the new ones, in order: a recorder then writes each under the
 * configuration it was encoded with.
 */
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { RtpMediaSession } from '../../ingest/rtsp/rtp-media-session.ts';
import { parseSdp } from '../../ingest/rtsp/sdp.ts';
import { parseAvcC } from '../../src/codec/h264.ts';
import type { MediaReceiver } from '../../src/core/media-receiver.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { demuxTs, ffmpegMake } from '../helpers/ts-media.ts';

const OUT = tempDir('rtsp-held');
/**
 * Frames of the two encoder runs. The change comes inside the decode timestamper's start window (16
 * frames, which it holds to measure B-frame depth) and the window ends inside the second run, so both
 * holds see it.
 */
const FRAMES = [6, 20] as const;
const FRAME_TICKS = 3600;
const MTU_PAYLOAD = 1200;

const SDP = [
	'v=0',
	'o=- 0 0 IN IP4 127.0.0.1',
	's=held start',
	't=0 0',
	'm=video 0 RTP/AVP 96',
	'a=rtpmap:96 H264/90000',
	'a=fmtp:96 packetization-mode=1',
	'',
].join('\r\n');

/** `frames` frames of H.264 with B-frames at `size`, demuxed: the track and its packets in decode order. */
const encode = async (size: string, frames: number): Promise<{ track: Track; packets: Packet[] }> => {
	const ts = await ffmpegMake(
		[
			...['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-frames:v', String(frames)],
			...['-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2', '-f', 'mpegts'],
		],
		join(OUT, `${size}.ts`),
	);
	const { collector } = demuxTs(ts);
	const track = collector.tracks.find((t) => t.kind === 'video')!;
	return { track, packets: collector.of(track.id) };
};

/** RTP packets (RFC 6184: single NAL unit or FU-A) of one access unit, parameter sets first on a keyframe. */
const packetize = (packet: Packet, parameterSets: readonly Uint8Array[], rtpTime: number, seq: { next: number }) => {
	const nals: Uint8Array[] = packet.keyframe ? [...parameterSets] : [];
	const data = packet.data;
	for (let at = 0; at + 4 <= data.length; ) {
		const length = new DataView(data.buffer, data.byteOffset + at).getUint32(0);
		nals.push(data.subarray(at + 4, at + 4 + length));
		at += 4 + length;
	}
	const payloads: Uint8Array[] = [];
	for (const nal of nals) {
		if (nal.length <= MTU_PAYLOAD) {
			payloads.push(nal);
			continue;
		}
		for (let at = 1; at < nal.length; at += MTU_PAYLOAD) {
			const end = Math.min(nal.length, at + MTU_PAYLOAD);
			const header = (at === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | (nal[0]! & 0x1f);
			payloads.push(Uint8Array.of((nal[0]! & 0xe0) | 28, header, ...nal.subarray(at, end)));
		}
	}
	return payloads.map((payload, i) => {
		const rtp = new Uint8Array(12 + payload.length);
		const view = new DataView(rtp.buffer);
		rtp[0] = 0x80;
		rtp[1] = (i === payloads.length - 1 ? 0x80 : 0) | 96; // marker on the access unit's last packet
		view.setUint16(2, seq.next++ & 0xffff);
		view.setUint32(4, rtpTime % 2 ** 32);
		view.setUint32(8, 0x1234);
		rtp.set(payload, 12);
		return rtp;
	});
};

/** What the bus hears, in order: each packet with the video SPS announced when it came. */
class Timeline implements MediaReceiver {
	sps: Uint8Array | undefined;
	readonly announcedSps: Uint8Array[] = [];
	readonly packets: { sps: Uint8Array | undefined; keyframe: boolean }[] = [];

	announce(tracks: readonly Track[]): void {
		const video = tracks.find((t) => t.kind === 'video');
		this.sps = video ? parseAvcC(video.config).sps[0] : undefined;
		if (this.sps) this.announcedSps.push(this.sps);
	}

	push(packet: Packet): void {
		this.packets.push({ sps: this.sps, keyframe: packet.keyframe });
	}
}

test('an SPS/PPS change during the held start: each frame goes out announced with its own parameters', async () => {
	const runs = [await encode('160x120', FRAMES[0]), await encode('320x240', FRAMES[1])];
	const sps = runs.map((r) => parseAvcC(r.track.config).sps[0]!);
	assert.not.equal(sps[0], sps[1], 'two encoder configurations');
	const timeline = new Timeline();
	const session = new RtpMediaSession(parseSdp(SDP).media, timeline, {
		reorderCapacity: 0,
		// A hold that lasts until the test releases it (a slow admission, a late sender report).
		alignWaitMs: 3_600_000,
		maxHoldMs: 3_600_000,
	});
	const seq = { next: 1000 };
	let arrivalMs = 0;
	let base = 90_000;
	for (const run of runs) {
		const avcc = parseAvcC(run.track.config);
		const first = Math.min(...run.packets.map((p) => p.pts));
		for (const packet of run.packets) {
			for (const rtp of packetize(packet, [...avcc.sps, ...avcc.pps], base + packet.pts - first, seq)) {
				session.receiveRtp(0, rtp, arrivalMs);
			}
			arrivalMs += 40;
		}
		base += run.packets.length * FRAME_TICKS;
	}
	assert.is(timeline.packets.length, 0, 'all of it is still held');
	session.tick(3_600_000);
	session.end();
	assert.equal(timeline.announcedSps, sps, 'announced: the first parameters, then the second');
	assert.is(timeline.packets.length, FRAMES[0] + FRAMES[1], 'every frame delivered');
	for (const [i, packet] of timeline.packets.entries()) {
		assert.equal(packet.sps, sps[i < FRAMES[0] ? 0 : 1], `frame ${i} under its own SPS`);
	}
	assert.ok(timeline.packets[FRAMES[0]]!.keyframe, 'the second run starts on its keyframe');
});

test.run();
