import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { RtspPuller } from '../../ingest/rtsp/rtsp-puller.ts';
import type { Packet } from '../../src/core/packet.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { Peer } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { Collector, waitFor, writeRecording } from './rtsp-harness.ts';

const PORT = await freePort();

/** VLC refuses to run as root; drop to nobody (setpriv execs in place, so the PID stays VLC's). */
const vlc = (args: string[]): Peer =>
	process.getuid?.() === 0
		? new Peer('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', 'cvlc', ...args])
		: new Peer('cvlc', args);

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** The last NAL unit of a length-prefixed access unit (the slice data, without parameter sets). */
const lastNal = (au: Uint8Array): Uint8Array => {
	let at = 0;
	let last = au;
	while (at + 4 <= au.length) {
		const length = new DataView(au.buffer, au.byteOffset + at).getUint32(0);
		last = au.subarray(at + 4, at + 4 + length);
		at += 4 + length;
	}
	return last;
};

test('pulls what VLC serves (#rtp sdp=rtsp://): A/V in sync with the source file, file plays', async () => {
	const source = fixture('h264-aac48-10s');
	const reference = new Collector();
	const demuxer = createDemuxer('ts', reference);
	demuxer.push(readFileSync(source));
	demuxer.end();
	const server = vlc(['-q', source, '--sout', `#rtp{sdp=rtsp://127.0.0.1:${PORT}/x}`, 'vlc://quit']);
	const collector = new Collector();
	const puller = new RtspPuller({
		url: `rtsp://127.0.0.1:${PORT}/x`,
		target: collector,
		rtpPorts: { min: 23500, max: 23599 },
		retryMs: { initial: 100, max: 200 },
	});
	try {
		await puller.start();
		assert.ok(
			await waitFor(() => puller.state === 'playing', 8000),
			`VLC session: ${puller.lastError} ${server.stderr}`,
		);
		// About 4 s of media at 25 fps.
		assert.ok(await waitFor(() => collector.of('video').packets.length >= 100, 15_000), 'four seconds of video');
	} finally {
		await puller.stop();
		await server.stop();
	}
	const video = collector.of('video');
	const audio = collector.of('audio');
	assert.is(video.track?.codec, 'h264');
	assert.is(audio.track?.codec, 'aac');
	assert.ok(video.packets.length >= 50, `video packets ${video.packets.length}`);
	assert.ok(video.packets[0]?.keyframe);

	// Find our first video keyframe and first audio frame in the source by their bytes: the source's
	// A/V distance between them must match ours.
	const sourceTime = (ours: Packet, kind: 'video' | 'audio'): number => {
		const { track, packets } = reference.of(kind);
		const match = packets.find((p) =>
			kind === 'audio' ? sameBytes(p.data, ours.data) : sameBytes(lastNal(p.data), lastNal(ours.data)),
		);
		assert.ok(match, `${kind} frame found in the source`);
		return match.pts / track!.timescale;
	};
	const v = video.packets[0]!;
	const a = audio.packets[0]!;
	const ourOffset = v.pts / video.track!.timescale - a.pts / audio.track!.timescale;
	const sourceOffset = sourceTime(v, 'video') - sourceTime(a, 'audio');
	assert.ok(Math.abs(ourOffset - sourceOffset) <= 0.04, `A/V offset ${ourOffset} vs source ${sourceOffset}`);

	const out = join(tempDir('rtsp-vlc'), `rtsp-vlc.mp4`);
	await writeRecording(collector.tracks, collector.packets, 'mp4', out);
	assert.is(await ffprobeErrors(out), '');
	assert.is(await decodeErrors(out), '');
});

test.run();
