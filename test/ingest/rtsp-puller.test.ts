import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { RtspPuller, type RtspPullerOptions } from '../../ingest/rtsp/rtsp-puller.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { Peer } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { Collector, waitFor, writeRecording } from './rtsp-harness.ts';

const SERVER = '/usr/bin/python3';
const SCRIPT = 'test/helpers/gst-rtsp-server.py';
/** The range our puller takes RTP/RTCP pairs from (a taken pair is skipped). */
const RTP_PORTS = { min: 23400, max: 23499 };

/** Starts the GStreamer RTSP server on a free port; resolves once it prints "ready". */
const gstServer = async (args: string[]): Promise<{ peer: Peer; port: number }> => {
	const port = await freePort();
	const peer = new Peer(SERVER, [SCRIPT, '--port', String(port), ...args]);
	let out = '';
	peer.child.stdout?.on('data', (d: Buffer) => {
		out += d.toString();
	});
	if (!(await waitFor(() => out.includes('ready'), 10_000))) {
		await peer.stop();
		throw new Error(`GStreamer RTSP server did not start: ${peer.stderr}`);
	}
	return { peer, port };
};

type PullResult = { collector: Collector; puller: RtspPuller };

type PullDone = (collector: Collector, puller: RtspPuller) => boolean;

/** Enough media for `assertPlayable`: a second and more of both tracks. */
const enoughMedia: PullDone = (collector) =>
	collector.of('video').packets.length >= 30 && collector.of('audio').packets.length >= 50;

/**
 * Pulls until `done` holds (or 30 s pass: the assertions then say what was missing), then stops the puller
 * (TEARDOWN) and the server. A loaded host encodes the server's live source slower than real time: the test
 * waits for media, not for a span of wall-clock time.
 */
const pull = async (
	server: { peer: Peer; port: number },
	options: Partial<RtspPullerOptions> & { path?: string; auth?: string },
	done: PullDone = enoughMedia,
): Promise<PullResult> => {
	const collector = new Collector();
	const puller = new RtspPuller({
		url: `rtsp://${options.auth ?? ''}127.0.0.1:${server.port}${options.path ?? '/test'}`,
		target: collector,
		rtpPorts: RTP_PORTS,
		retryMs: { initial: 200, max: 400 },
		...options,
	});
	try {
		await puller.start();
		await waitFor(() => done(collector, puller), 30_000);
	} finally {
		await puller.stop();
		await server.peer.stop();
	}
	return { collector, puller };
};

/** What every good pull must show: both tracks, a keyframe first, a file that probes and decodes clean. */
const assertPlayable = async (collector: Collector, videoCodec: 'h264' | 'h265', name: string) => {
	const video = collector.of('video');
	const audio = collector.of('audio');
	assert.is(video.track?.codec, videoCodec);
	assert.is(audio.track?.codec, 'aac');
	assert.ok(video.packets.length >= 25, `video packets: ${video.packets.length}`);
	assert.ok(audio.packets.length >= 40, `audio packets: ${audio.packets.length}`);
	assert.ok(video.packets[0]?.keyframe, 'first video packet is a keyframe');
	assert.ok(Math.abs(collector.avOffset()) < 0.15, `A/V start offset ${collector.avOffset()}`);
	assert.is(collector.ended, 'puller stopped');
	const out = join(tempDir('rtsp-pull'), `rtsp-pull-${name}.mp4`);
	await writeRecording(collector.tracks, collector.packets, 'mp4', out);
	assert.is(await ffprobeErrors(out), '');
	assert.is(await decodeErrors(out), '');
	const probed = await probeStreams(out);
	assert.is(probed.find((s) => s.codecType === 'video')?.codecName, videoCodec === 'h264' ? 'h264' : 'hevc');
};

test('pulls H.264 (B-frames) + AAC from GStreamer over TCP interleaved', async () => {
	const { collector, puller } = await pull(await gstServer([]), { transport: 'tcp' });
	assert.is(puller.sessions, 1);
	await assertPlayable(collector, 'h264', 'tcp');
	const pts = collector.of('video').packets.map((p) => p.pts);
	assert.ok(
		pts.some((p, i) => i > 0 && p < pts[i - 1]!),
		'B-frames: PTS not monotonic in decode order',
	);
});

test('pulls over UDP with Digest credentials', async () => {
	const server = await gstServer(['--user', 'cam', '--password', 's3cret', '--auth', 'digest']);
	const { collector } = await pull(server, { transport: 'udp', auth: 'cam:s3cret@' });
	await assertPlayable(collector, 'h264', 'udp-digest');
});

test('pulls with Basic credentials given as options', async () => {
	const server = await gstServer(['--user', 'cam', '--password', 'pw', '--auth', 'basic']);
	const { collector } = await pull(server, { credentials: { user: 'cam', password: 'pw' } });
	await assertPlayable(collector, 'h264', 'basic');
});

test('wrong credentials: no session, the 401 is reported, retries go on until stop', async () => {
	const server = await gstServer(['--user', 'cam', '--password', 'right']);
	const { collector, puller } = await pull(server, { auth: 'cam:wrong@' }, (_, p) => p.sessions >= 2);
	assert.is(collector.packets.length, 0);
	assert.ok(puller.sessions >= 2, `reconnect attempts: ${puller.sessions}`);
	assert.match(puller.lastError ?? '', /401/);
});

test('keep-alive: requests within the session timeout the server gives, one session throughout', async () => {
	const server = await gstServer(['--session-timeout', '2']);
	const mediaSpan = (collector: Collector) => {
		const video = collector.of('video').packets;
		return video.length === 0 ? 0 : (video.at(-1)!.pts - video[0]!.pts) / 90_000;
	};
	// Three session timeouts and more of media: a session the server timed out would have ended (or restarted) by then.
	const { collector, puller } = await pull(server, { transport: 'udp' }, (c) => mediaSpan(c) > 6);
	assert.is(puller.sessions, 1, `one session for 6 s (last error: ${puller.lastError})`);
	assert.ok(puller.keepAlives >= 4, `keep-alives every second for a 2 s timeout: ${puller.keepAlives}`);
	assert.ok(mediaSpan(collector) > 6, `media kept flowing: ${mediaSpan(collector)} s`);
});

test('pulls H.265 + AAC from GStreamer', async () => {
	const { collector } = await pull(await gstServer(['--codec', 'h265']), {});
	await assertPlayable(collector, 'h265', 'h265');
});

test('pulls MPEG-TS over RTP (payload type 33) through the TS demuxer', async () => {
	const { collector } = await pull(await gstServer(['--mp2t']), {});
	assert.is(collector.of('video').track?.codec, 'h264');
	assert.is(collector.of('audio').track?.codec, 'aac');
	assert.ok(collector.of('video').packets.length >= 25);
	// The stop (TEARDOWN) comes in the middle of the live stream: the last video PES has no length and no end
	// but the stop, so it may hold part of a picture, kept as it came. Every picture before it must decode.
	const video = collector.of('video');
	const last = video.packets.at(-1);
	const out = join(tempDir('rtsp-pull'), `rtsp-pull-mp2t.mp4`);
	await writeRecording(
		collector.tracks,
		collector.packets.filter((p) => p !== last),
		'mp4',
		out,
	);
	assert.is(await decodeErrors(out), '');
});

test('reconnects after the server goes away and comes back', async () => {
	const first = await gstServer([]);
	const collector = new Collector();
	const puller = new RtspPuller({
		url: `rtsp://127.0.0.1:${first.port}/test`,
		target: collector,
		retryMs: { initial: 200, max: 400 },
	});
	let second: Peer | undefined;
	try {
		await puller.start();
		assert.ok(await waitFor(() => puller.state === 'playing' && collector.packets.length > 10, 5000));
		await first.peer.stop();
		assert.ok(await waitFor(() => collector.ended === 'source disconnected', 5000), 'stream ends when the server goes');
		const before = collector.packets.length;
		second = new Peer(SERVER, [SCRIPT, '--port', String(first.port)]);
		assert.ok(await waitFor(() => collector.packets.length > before + 10, 10_000), 'media again after reconnect');
		assert.ok(puller.sessions >= 2);
	} finally {
		await puller.stop();
		await second?.stop();
	}
});

test.run();
