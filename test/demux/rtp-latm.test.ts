import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { createDepacketizer, depacketizedKind, type RtpFormat } from '../../ingest/demux/rtp/create-depacketizer.ts';
import type { AccessUnitReceiver, CodecParameters } from '../../ingest/demux/rtp/rtp-depacketizer.ts';
import { parseRtpPacket, type RtpPacket } from '../../ingest/demux/rtp/rtp-packet.ts';
import { parseAdtsHeader } from '../../src/codec/aac.ts';
import { gstRun } from '../helpers/gst.ts';
import { test } from '../helpers/suite.ts';
import { tempFolder } from '../helpers/ts-media.ts';

const temp = tempFolder();
test.after(() => temp.done());

class Frames implements AccessUnitReceiver {
	readonly frames: { pts: number; data: Uint8Array }[] = [];
	readonly parameters_: CodecParameters[] = [];
	parameters(p: CodecParameters): void {
		this.parameters_.push(p);
	}
	accessUnit(pts: number, _dts: number, _duration: number, _keyframe: boolean, data: Uint8Array): void {
		this.frames.push({ pts, data: data.slice() });
	}
}

const SOURCE =
	'audiotestsrc num-buffers=60 wave=sine ! audio/x-raw,rate=48000,channels=2 ! avenc_aac bitrate=128000 ! ';

/** GStreamer's rtpmp4apay defaults (cpresent=0, config= in the caps), small MTU so frames span packets. */
const gstLatm = async () => {
	const rtpFile = temp.path('latm.rtp');
	const adtsFile = temp.path('reference.aac');
	const [caps] = await Promise.all([
		gstRun(`${SOURCE}rtpmp4apay name=pay mtu=200 ! rtpstreampay ! filesink location=${rtpFile}`),
		gstRun(`${SOURCE}aacparse ! audio/mpeg,stream-format=adts ! filesink location=${adtsFile}`),
	]);
	const fmtp = new Map<string, string>();
	for (const match of caps.matchAll(/(cpresent|config)=\(string\)(\w+)/g)) fmtp.set(match[1]!, match[2]!);
	// RFC 4571 framing: a 16-bit length before each RTP packet
	const stream = new Uint8Array(readFileSync(rtpFile));
	const packets: RtpPacket[] = [];
	for (let at = 0; at + 2 <= stream.length; ) {
		const length = (stream[at]! << 8) | stream[at + 1]!;
		packets.push(parseRtpPacket(stream.subarray(at + 2, at + 2 + length))!);
		at += 2 + length;
	}
	const adts = new Uint8Array(readFileSync(adtsFile));
	const reference: Uint8Array[] = [];
	for (let at = 0; at < adts.length; ) {
		const header = parseAdtsHeader(adts, at)!;
		reference.push(adts.slice(at + header.headerLength, at + header.frameLength));
		at += header.frameLength;
	}
	const format: RtpFormat = { payloadType: 96, encoding: 'MP4A-LATM', clockRate: 48_000, channels: 2, fmtp };
	return { format, packets, reference };
};

const depacketize = (format: RtpFormat, packets: readonly RtpPacket[], lost = new Set<number>()) => {
	const frames = new Frames();
	const depacketizer = createDepacketizer(format, frames);
	let lostBefore = 0;
	packets.forEach((packet, i) => {
		if (lost.has(i)) {
			lostBefore++;
			return;
		}
		depacketizer.push(packet, packet.timestamp, lostBefore);
		lostBefore = 0;
	});
	depacketizer.flush();
	return { frames, depacketizer };
};

test('MP4A-LATM from GStreamer rtpmp4apay (cpresent=0): the raw AAC frames the encoder made, byte for byte', async () => {
	const { format, packets, reference } = await gstLatm();
	assert.is(format.fmtp.get('cpresent'), '0');
	assert.is(depacketizedKind(format), 'audio');
	assert.ok(packets.length > reference.length, 'some frames span packets');
	const { frames, depacketizer } = depacketize(format, packets);
	const parameters = depacketizer.initialParameters!;
	assert.equal([parameters.codec, parameters.audio], ['aac', { sampleRate: 48_000, channels: 2 }]);
	// AAC LC, 48 kHz, stereo, then the encoder's SBR-absent sync extension (0x2B7, type 5, flag 0)
	assert.equal([...parameters.config], [0x11, 0x90, 0x56, 0xe5, 0x00]);
	assert.is(frames.frames.length, reference.length);
	for (const [i, frame] of frames.frames.entries()) assert.equal(frame.data, reference[i], `frame ${i}`);
	const steps = frames.frames.slice(1).map((f, i) => (f.pts - frames.frames[i]!.pts + 2 ** 32) % 2 ** 32); // RTP time wraps
	// GStreamer rounds each buffer time to the RTP clock: a tick either way
	assert.ok(
		steps.every((step) => Math.abs(step - 1024) <= 1),
		`one frame apart in the 48 kHz RTP clock: ${[...new Set(steps)]}`,
	);
	assert.is(depacketizer.stats.droppedUnits, 0);
});

test('a lost packet costs only the frame it was part of', async () => {
	const { format, packets, reference } = await gstLatm();
	// the first packet of a frame split over several (no marker)
	const victim = packets.findIndex((p, i) => i > 10 && !p.marker && packets[i - 1]!.marker);
	const { frames, depacketizer } = depacketize(format, packets, new Set([victim]));
	assert.is(frames.frames.length, reference.length - 1);
	assert.is(depacketizer.stats.droppedUnits, 1);
});

test('MP4A-LATM with cpresent=0 and no config is refused with a clear error', () => {
	const format: RtpFormat = {
		payloadType: 96,
		encoding: 'MP4A-LATM',
		clockRate: 48_000,
		channels: 2,
		fmtp: new Map([['cpresent', '0']]),
	};
	assert.throws(() => createDepacketizer(format, new Frames()), /cpresent=0 needs the StreamMuxConfig in fmtp config=/);
});

test.run();
