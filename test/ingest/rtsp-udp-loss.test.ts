import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { RtpMediaSession } from '../../ingest/rtsp/rtp-media-session.ts';
import { RtpTransports } from '../../ingest/rtsp/rtp-transports.ts';
import { parseSdp } from '../../ingest/rtsp/sdp.ts';
import { bindUdpPortPair, type UdpPortPair } from '../../ingest/rtsp/udp-port-pair.ts';
import { LossyUdpRelay } from '../helpers/lossy-udp-relay.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { ffmpegCopy } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { Collector, sleep, withGlobalHeaders, writeRecording } from './rtsp-harness.ts';

/**
 * RTP over UDP through a relay that drops (at random and in bursts) and reorders datagrams: the
 * receiving side (reorder buffer, depacketizers, loss handling) must count the losses, put reordered
 * packets back, drop damaged video up to the next keyframe, and still produce a file that decodes.
 */
test('UDP loss and reordering: no crash, losses counted, reordered packets restored, output decodes', async () => {
	const source = await withGlobalHeaders(fixture('h264-aac48'));
	const sourceVideo = (await probeStreams(source)).find((s) => s.codecType === 'video')!;
	const pairs: UdpPortPair[] = [
		await bindUdpPortPair('127.0.0.1', { min: 23600, max: 23699 }),
		await bindUdpPortPair('127.0.0.1', { min: 23600, max: 23699 }),
	];
	const relayPorts = [await freePort('udp'), await freePort('udp')];
	const relays = pairs.map(
		(pair, i) =>
			new LossyUdpRelay({
				port: relayPorts[i]!,
				targetPort: pair.port,
				seed: 7 + i,
				dropRate: 0.01,
				burstEvery: 150,
				burstLength: 3,
				reorderRate: 0.05,
			}),
	);
	for (const relay of relays) await relay.start();
	const sdpFile = join(tempDir('rtsp-loss'), `rtsp-loss.sdp`);
	// One RTP output per stream; RTCP goes straight to our RTCP ports (rtcpport), RTP through the relays.
	const ffmpeg = ffmpegCopy(source, [
		'-map',
		'0:v',
		'-f',
		'rtp',
		`rtp://127.0.0.1:${relayPorts[0]}?rtcpport=${pairs[0]!.port + 1}&pkt_size=1200`,
		'-map',
		'0:a',
		'-c',
		'copy',
		'-max_delay',
		'0',
		'-f',
		'rtp',
		`rtp://127.0.0.1:${relayPorts[1]}?rtcpport=${pairs[1]!.port + 1}`,
		'-sdp_file',
		sdpFile,
	]);
	const collector = new Collector();
	const transports = new RtpTransports(() => {});
	let timer: NodeJS.Timeout | undefined;
	try {
		let sdpText = '';
		for (let i = 0; i < 50 && !sdpText.includes('m=audio'); i++) {
			await sleep(100);
			try {
				sdpText = readFileSync(sdpFile, 'utf8');
			} catch {}
		}
		const sdp = parseSdp(sdpText);
		assert.is(sdp.media.length, 2);
		for (const [i, pair] of pairs.entries()) {
			transports.add(i, { kind: 'udp', pair, peerHost: '127.0.0.1', peerRtpPort: 0, peerRtcpPort: 0 });
		}
		const session = new RtpMediaSession(sdp.media, collector, { reorderCapacity: 64, maxDelayMs: 100 });
		transports.attach(session);
		timer = setInterval(() => session.tick(performance.now()), 50);
		const code = await Promise.race([ffmpeg.exited, sleep(15_000).then(() => 'timeout')]);
		assert.is(code, 0, ffmpeg.stderr);
		await sleep(300);
		session.end();
		const stats = session.stats();
		const relayed = relays.reduce((n, r) => n + r.stats.dropped, 0);
		const reorderedByRelay = relays.reduce((n, r) => n + r.stats.reordered, 0);
		assert.ok(relayed > 0 && reorderedByRelay > 0, 'the relay dropped and reordered');
		assert.ok(stats.lost > 0, `losses counted: ${JSON.stringify(stats)}`);
		assert.ok(stats.lost <= relayed, `no more losses counted (${stats.lost}) than datagrams dropped (${relayed})`);
		assert.ok(stats.reordered > 0, 'reordered packets waited in the buffer');
		assert.ok(stats.droppedUnits > 0, 'damaged access units dropped');
		const video = collector.of('video');
		assert.ok(video.packets.length > 10 && video.packets.length < sourceVideo.packets, `video ${video.packets.length}`);
		assert.ok(video.packets[0]?.keyframe);
		const out = join(tempDir('rtsp-loss'), `rtsp-loss.mp4`);
		await writeRecording(collector.tracks, collector.packets, 'mp4', out);
		assert.is(await ffprobeErrors(out), '');
		assert.is(await decodeErrors(out), '');
	} finally {
		clearInterval(timer);
		await ffmpeg.stop();
		transports.close();
		for (const relay of relays) await relay.stop();
	}
});

test.run();
