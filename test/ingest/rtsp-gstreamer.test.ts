import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { RtspListener } from '../../ingest/rtsp/rtsp-listener.ts';
import { gstRun } from '../helpers/gst.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { FakeHub, waitFor, writeRecording } from './rtsp-harness.ts';

/** The range the listener takes RTP/RTCP pairs from for UDP publishers (a taken pair is skipped). */
const RTP_PORTS = { min: 23700, max: 23799 };

/** Two seconds of 25 fps video. */
const VIDEO_FRAMES = 50;
/** Two seconds of 48 kHz audio in buffers of one AAC frame (1024 samples) each. */
const AUDIO_BUFFERS = 94;
/**
 * libavcodec's AAC encoder (avenc_aac) delays its output by one frame (1024 samples of priming)
 * and drains it at end of stream, so it emits one frame more than it was given whole frames of.
 */
const AUDIO_FRAMES = AUDIO_BUFFERS + 1;

/**
 * GStreamer's RTSP RECORD client with its defaults: the audio pad takes rtpmp4apay, which sends
 * AAC as MP4A-LATM (RFC 6416) with the StreamMuxConfig in the SDP. Both sources are live, so the
 * two seconds are sent in real time, as an encoder would. The raw video format is pinned to I420:
 * left open, x264enc encodes its first frame as 10-bit 4:4:4 before the payloader's caps make it
 * renegotiate, so the stream would start with a parameter change (a second SPS), another case
 * than the one tested here.
 */
const publisher = (url: string, transport: 'tcp' | 'udp'): string =>
	[
		`rtspclientsink name=sink location=${url} protocols=${transport}`,
		`videotestsrc is-live=true num-buffers=${VIDEO_FRAMES} ! video/x-raw,width=320,height=240,framerate=25/1,format=I420`,
		'! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! queue ! sink.',
		`audiotestsrc is-live=true num-buffers=${AUDIO_BUFFERS} samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2`,
		'! avenc_aac ! queue ! sink.',
	].join(' ');

test('the payloader rtspclientsink takes for raw AAC (rtpmp4apay, the first by name of equal rank) sends MP4A-LATM', async () => {
	const caps = await gstRun('audiotestsrc num-buffers=2 ! avenc_aac ! rtpmp4apay name=pay ! fakesink', 20_000);
	assert.is(/encoding-name=\(string\)([\w-]+)/.exec(caps)?.[1], 'MP4A-LATM', caps);
});

for (const transport of ['tcp', 'udp'] as const) {
	test(`GStreamer rtspclientsink over ${transport} (H.264 + LATM AAC): every frame recorded, file plays`, async () => {
		const hub = new FakeHub();
		const listener = new RtspListener({ hub, port: 0, rtpPorts: RTP_PORTS });
		await listener.start();
		try {
			const url = `rtsp://127.0.0.1:${listener.port}/live/gst-${transport}`;
			const collector = () => hub.publishers.get(`default/live/gst-${transport}`);
			await gstRun(publisher(url, transport), 30_000).catch((error: Error) => {
				// Says how far the session got, to tell a publisher that never ends from one we cut short.
				const c = collector();
				const state = c ? `published, ${c.packets.length} packets, ended: ${c.ended}` : 'never published';
				throw new Error(`${error.message}\nour side: ${state}`);
			});
			const collected = collector();
			assert.ok(collected, 'stream published as default/live/<stream>');
			assert.ok(await waitFor(() => collected.ended !== undefined, 5000), 'stream ends when the publisher leaves');
			const video = collected.of('video');
			const audio = collected.of('audio');
			assert.is(video.track?.codec, 'h264');
			assert.is(audio.track?.codec, 'aac');
			assert.equal(audio.track?.audio, { sampleRate: 48_000, channels: 2 });
			// Every frame the encoders produced, the last ones too (they travel after the other stream's BYE).
			assert.is(video.packets.length, VIDEO_FRAMES, 'video frames');
			assert.is(audio.packets.length, AUDIO_FRAMES, 'audio frames');
			assert.ok(video.packets[0]?.keyframe, 'first video packet is a keyframe');
			for (const format of ['mp4', 'ts'] as const) {
				const out = join(tempDir('rtsp-gst'), `rtsp-gst-${transport}.${format}`);
				await writeRecording(collected.tracks, collected.packets, format, out);
				assert.is(await ffprobeErrors(out), '', format);
				assert.is(await decodeErrors(out), '', format);
				const probed = await probeStreams(out);
				const v = probed.find((s) => s.codecType === 'video');
				const a = probed.find((s) => s.codecType === 'audio');
				assert.is(v?.codecName, 'h264', format);
				assert.is(a?.codecName, 'aac', format);
				assert.is(v?.packets, VIDEO_FRAMES, `${format} video packets`);
				assert.is(a?.packets, AUDIO_FRAMES, `${format} audio packets`);
			}
		} finally {
			await listener.stop();
		}
	});
}

test.run();
