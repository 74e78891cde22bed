import { connect } from 'node:net';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createInput } from '../../ingest/create-input.ts';
import { RtspListener } from '../../ingest/rtsp/rtsp-listener.ts';
import { RtspPuller } from '../../ingest/rtsp/rtsp-puller.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { ffmpegCopy } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { Collector, FakeHub, waitFor, withGlobalHeaders, writeRecording } from './rtsp-harness.ts';

const PORT = await freePort();
/** The range the listener takes RTP/RTCP pairs from (a taken pair is skipped). */
const RTP_PORTS = { min: 23100, max: 23199 };

type Case = { name: 'h264-aac48' | 'h265-aac48'; transport: 'tcp' | 'udp'; video: 'h264' | 'hevc' };

const cases: Case[] = [
	{ name: 'h264-aac48', transport: 'tcp', video: 'h264' },
	{ name: 'h264-aac48', transport: 'udp', video: 'h264' },
	{ name: 'h265-aac48', transport: 'tcp', video: 'hevc' },
	{ name: 'h265-aac48', transport: 'udp', video: 'hevc' },
];

for (const c of cases) {
	test(`ffmpeg publishes ${c.name} over ${c.transport}: every frame arrives, keyframes flagged, A/V aligned, file plays`, async () => {
		const source = await withGlobalHeaders(fixture(c.name));
		const streams = await probeStreams(source);
		const sv = streams.find((s) => s.codecType === 'video')!;
		const sa = streams.find((s) => s.codecType === 'audio')!;
		const hub = new FakeHub();
		const listener = new RtspListener({ hub, port: PORT, rtpPorts: RTP_PORTS });
		await listener.start();
		const url = `rtsp://127.0.0.1:${PORT}/app/${c.transport}`;
		const ffmpeg = ffmpegCopy(source, ['-max_delay', '0', '-f', 'rtsp', '-rtsp_transport', c.transport, url]);
		try {
			const code = await Promise.race([ffmpeg.exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
			assert.is(code, 0, `ffmpeg: ${ffmpeg.stderr}`);
			const collector = hub.publishers.get(`default/app/${c.transport}`);
			assert.ok(collector, 'stream published as default/app/<stream>');
			assert.ok(await waitFor(() => collector.ended !== undefined, 3000), 'stream ends after TEARDOWN');
			const video = collector.of('video');
			const audio = collector.of('audio');
			assert.is(video.track?.codec, c.name.startsWith('h264') ? 'h264' : 'h265');
			assert.is(audio.track?.codec, 'aac');
			assert.ok(
				video.packets.length >= sv.packets - 1 && video.packets.length <= sv.packets,
				`video ${video.packets.length}/${sv.packets}`,
			);
			assert.ok(
				audio.packets.length >= sa.packets - 1 && audio.packets.length <= sa.packets,
				`audio ${audio.packets.length}/${sa.packets}`,
			);
			assert.is(video.packets.filter((p) => p.keyframe).length, sv.keyframes);
			assert.ok(video.packets[0]?.keyframe, 'first video packet is a keyframe');
			const sourceOffset = sv.firstPts - sa.firstPts;
			assert.ok(
				Math.abs(collector.avOffset() - sourceOffset) <= 0.04,
				`A/V offset ${collector.avOffset()} vs source ${sourceOffset}`,
			);
			for (const format of ['mp4', 'ts'] as const) {
				const out = join(tempDir('rtsp'), `rtsp-${c.name}-${c.transport}.${format}`);
				await writeRecording(collector.tracks, collector.packets, format, out);
				assert.is(await ffprobeErrors(out), '', format);
				assert.is(await decodeErrors(out), '', format);
				const probed = await probeStreams(out);
				assert.is(probed.find((s) => s.codecType === 'video')?.codecName, c.video);
				assert.is(probed.find((s) => s.codecType === 'video')?.packets, video.packets.length);
			}
		} finally {
			await ffmpeg.stop();
			await listener.stop();
		}
	});
}

/** ffmpeg publishing one second of `source` to an RTSP URL: its exit code, or 'timeout' after 10 s. */
const publishOneSecond = async (source: string, url: string): Promise<number | null | 'timeout'> => {
	const ffmpeg = ffmpegCopy(source, ['-f', 'rtsp', url], { inputOptions: ['-t', '1'] });
	const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000));
	const code = await Promise.race([ffmpeg.exited, timeout]);
	await ffmpeg.stop();
	return code;
};

test('Digest credentials are checked through hub.authorize before RECORD', async () => {
	const source = await withGlobalHeaders(fixture('h264-aac48'));
	const hub = new FakeHub();
	hub.allow = (r) => r.credentials.user === 'enc' && r.credentials.password === 'pw';
	const listener = new RtspListener({
		hub,
		port: PORT,
		rtpPorts: RTP_PORTS,
		digestPasswords: (_key, user) => (user === 'enc' ? ['pw'] : []),
	});
	await listener.start();
	const publish = (userinfo: string) => publishOneSecond(source, `rtsp://${userinfo}127.0.0.1:${PORT}/app/secure`);
	try {
		assert.is.not(await publish('enc:wrong@'), 0, 'a wrong password is refused');
		assert.is(hub.publishers.size, 0);
		assert.is.not(await publish(''), 0, 'no credentials: refused');
		assert.is(await publish('enc:pw@'), 0, 'the right password publishes');
		const collector = hub.publishers.get('default/app/secure');
		assert.ok(collector && (await waitFor(() => collector.ended !== undefined, 3000)), 'stream ends after TEARDOWN');
		assert.ok(collector.packets.length > 20);
		assert.equal(hub.requests.at(-1)?.credentials, { user: 'enc', password: 'pw' });
		assert.is(hub.requests.at(-1)?.protocol, 'rtsp');
	} finally {
		await listener.stop();
	}
});

test('createInput: an RTSP listen input feeds the recording target, an RTSP pull input makes a puller', async () => {
	const source = await withGlobalHeaders(fixture('h264-aac48'));
	const target = new Collector();
	const context = {
		hub: new FakeHub(),
		key: { vhost: 'default', app: 'rec', stream: 'one' },
		listenHost: '127.0.0.1',
		logger: silentLogger,
	};
	const input = createInput({ protocol: 'rtsp', direction: 'listen', address: { port: PORT } }, target, context);
	assert.instance(input, RtspListener);
	assert.instance(
		createInput({ protocol: 'rtsp', direction: 'pull', url: 'rtsp://127.0.0.1:1/x' }, target, context),
		RtspPuller,
	);
	await input.start();
	try {
		assert.is(await publishOneSecond(source, `rtsp://127.0.0.1:${PORT}/any/name`), 0);
		assert.ok(await waitFor(() => target.ended !== undefined, 3000));
		assert.is(target.of('video').track?.codec, 'h264');
		assert.ok(target.of('audio').packets.length > 20);
	} finally {
		await input.stop();
	}
});

test('garbage on the control connection closes only that connection; idle sessions time out', async () => {
	const hub = new FakeHub();
	const listener = new RtspListener({ hub, port: PORT, rtpPorts: RTP_PORTS, sessionTimeoutMs: 400 });
	await listener.start();
	const exchange = (bytes: Uint8Array | string, waitMs = 300) =>
		new Promise<{ reply: string; closed: boolean }>((resolve) => {
			const socket = connect(PORT, '127.0.0.1');
			let reply = '';
			let closed = false;
			socket.on('data', (d) => {
				reply += d.toString();
			});
			socket.on('close', () => {
				closed = true;
			});
			socket.on('error', () => {});
			socket.write(bytes);
			setTimeout(() => {
				socket.destroy();
				resolve({ reply, closed });
			}, waitMs);
		});
	try {
		let seed = 3;
		for (let i = 0; i < 20; i++) {
			const junk = new Uint8Array(300).map(() => {
				seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
				return seed % 256;
			});
			await exchange(junk, 30);
		}
		const bad = await exchange('HELLO WORLD\r\n\r\n');
		assert.match(bad.reply, /^RTSP\/1.0 400/);
		assert.ok(bad.closed);
		const ok = await exchange('OPTIONS rtsp://127.0.0.1/app/s RTSP/1.0\r\nCSeq: 1\r\n\r\n');
		assert.match(ok.reply, /^RTSP\/1.0 200 OK\r\nPublic: OPTIONS, ANNOUNCE, SETUP, RECORD/);
		assert.match(ok.reply, /CSeq: 1/);
		const idle = await exchange('OPTIONS rtsp://127.0.0.1/app/s RTSP/1.0\r\nCSeq: 1\r\n\r\n', 900);
		assert.ok(idle.closed, 'an idle session is dropped after the timeout');
		assert.is(listener.sessions.size, 0);
	} finally {
		await listener.stop();
	}
});

test.run();
