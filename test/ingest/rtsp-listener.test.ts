import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { RtspListener } from '../../ingest/rtsp/rtsp-listener.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { Peer, run } from '../helpers/process.ts';
import { FakeHub, waitFor, writeRecording } from './rtsp-harness.ts';

const PORT = 23010;
const RTP_PORTS = { min: 23100, max: 23199 };

/**
 * ffmpeg's RTSP muxer writes the SDP before the first packet, so AAC needs its config up front:
 * the TS fixtures (ADTS) are remuxed once to MP4, packets and timestamps unchanged.
 */
const withGlobalHeaders = async (ts: string): Promise<string> => {
	const out = join(tmpdir(), `tapedeck-rtsp-src-${basename(ts, '.ts')}-${process.pid}.mp4`);
	if (existsSync(out)) return out;
	const result = await run('ffmpeg', [
		'-nostdin',
		'-v',
		'error',
		'-y',
		'-i',
		ts,
		'-c',
		'copy',
		'-bsf:a',
		'aac_adtstoasc',
		out,
	]);
	if (result.code !== 0) throw new Error(result.stderr);
	return out;
};

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
		const ffmpeg = new Peer('ffmpeg', [
			'-nostdin',
			'-v',
			'error',
			'-re',
			'-i',
			source,
			'-c',
			'copy',
			'-max_delay',
			'0',
			'-f',
			'rtsp',
			'-rtsp_transport',
			c.transport,
			url,
		]);
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
			const out = join(tmpdir(), `tapedeck-rtsp-${c.name}-${c.transport}-${process.pid}.mp4`);
			await writeRecording(collector.tracks, collector.packets, 'mp4', out);
			assert.is(await ffprobeErrors(out), '');
			assert.is(await decodeErrors(out), '');
			const probed = await probeStreams(out);
			assert.is(probed.find((s) => s.codecType === 'video')?.codecName, c.video);
		} finally {
			await ffmpeg.stop();
			await listener.stop();
		}
	});
}

test.run();
