/**
 * Shared pieces of the RTSP tests: a fake hub that collects what publishers send, a collector
 * receiver, and a writer that muxes collected packets to a file for ffprobe/ffmpeg checks.
 */

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createMuxer } from '../../mux/create-muxer.ts';
import type { ContainerFormat } from '../../mux/muxer.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { PublishRequest, StreamHub, StreamKey, StreamPublisher } from '../../src/core/stream-hub.ts';
import { formatStreamKey } from '../../src/core/stream-hub.ts';
import type { Track } from '../../src/core/track.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import { run } from '../helpers/process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A MediaReceiver/StreamPublisher that keeps everything (payloads copied). */
export class Collector implements StreamPublisher {
	tracks: readonly Track[] = [];
	announces = 0;
	readonly packets: Packet[] = [];
	ended: string | undefined;

	announce(tracks: readonly Track[]): void {
		this.tracks = tracks;
		this.announces++;
	}

	push(packet: Packet): void {
		this.packets.push({ ...packet, data: packet.data.slice() });
	}

	end(reason = 'ended'): void {
		this.ended = reason;
	}

	of(kind: 'video' | 'audio'): { track: Track | undefined; packets: Packet[] } {
		const track = this.tracks.find((t) => t.kind === kind);
		return { track, packets: track ? this.packets.filter((p) => p.trackId === track.id) : [] };
	}

	/** Seconds between the first video PTS and the first audio PTS on the collected timeline. */
	avOffset(): number {
		const v = this.of('video');
		const a = this.of('audio');
		const first = (track: Track | undefined, packets: Packet[]) =>
			Math.min(...packets.map((p) => p.pts)) / (track?.timescale ?? 1);
		return first(v.track, v.packets) - first(a.track, a.packets);
	}
}

/** A stand-in for the bus: every publish gets a Collector; authorize asks `allow`. */
export class FakeHub implements StreamHub {
	readonly publishers = new Map<string, Collector>();
	readonly requests: PublishRequest[] = [];
	allow: (request: PublishRequest) => boolean = () => true;

	async authorize(request: PublishRequest): Promise<boolean> {
		this.requests.push(request);
		return this.allow(request);
	}

	publish(key: StreamKey, _protocol: string): StreamPublisher {
		const collector = new Collector();
		this.publishers.set(formatStreamKey(key), collector);
		return collector;
	}
}

/**
 * Writes collected packets to a file: timestamps rebased so the earliest DTS (in seconds, across
 * tracks) is 0, packets interleaved by DTS as muxers expect.
 */
export const writeRecording = async (
	tracks: readonly Track[],
	packets: readonly Packet[],
	format: ContainerFormat,
	path: string,
): Promise<void> => {
	const scale = new Map(tracks.map((t) => [t.id, t.timescale]));
	const seconds = (p: Packet) => p.dts / (scale.get(p.trackId) ?? 1);
	const wanted = packets.filter((p) => scale.has(p.trackId));
	const origin = Math.min(...wanted.map(seconds));
	const ordered = [...wanted].sort((a, b) => seconds(a) - seconds(b));
	const sink = new FileSink(path);
	const muxer = createMuxer(format, tracks, sink);
	muxer.writeHeader();
	for (const p of ordered) {
		const shift = Math.round(origin * (scale.get(p.trackId) ?? 1));
		muxer.writePacket({ ...p, dts: p.dts - shift, pts: p.pts - shift });
	}
	muxer.finish();
	await sink.close();
};

export { sleep, waitFor } from '../helpers/wait.ts';

/**
 * ffmpeg's RTP/RTSP muxers write the SDP before the first packet, so AAC needs its config up front:
 * a TS fixture (ADTS) is remuxed once to MP4, packets and timestamps unchanged.
 */
export const withGlobalHeaders = async (ts: string): Promise<string> => {
	const out = join(tempDir('rtsp-src'), `rtsp-src-${basename(ts, '.ts')}.mp4`);
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
