/**
 * Enhanced RTMP (veovera, FourCC `hvc1`) H.265 publishing. Debian's ffmpeg 5.1 cannot send it, so
 * a scripted publisher does: our client connection over a real socket, with the tags built from
 * the h265 fixture as our TS demuxer reads it.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { ChunkWriter } from '../../ingest/rtmp/chunk-writer.ts';
import { RtmpConnection } from '../../ingest/rtmp/rtmp-connection.ts';
import { RtmpListener } from '../../ingest/rtmp/rtmp-listener.ts';
import { MessageType } from '../../ingest/rtmp/rtmp-message.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { AmfEcmaArray, type AmfValue, encodeAmf0 } from '../../src/bytes/amf0.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { StreamKey } from '../../src/core/stream-hub.ts';
import type { Track } from '../../src/core/track.ts';
import { test } from '../helpers/suite.ts';
import { Collector, waitFor } from './rtmp-kit.ts';

/** The fixture's tracks and packets through our TS demuxer. */
const demux = (file: string): { tracks: readonly Track[]; packets: Packet[] } => {
	let tracks: readonly Track[] = [];
	const packets: Packet[] = [];
	const demuxer = new TsDemuxer({
		announce: (t) => {
			tracks = t;
		},
		push: (p) => packets.push({ ...p, data: p.data.slice() }),
	});
	demuxer.push(new Uint8Array(readFileSync(file)));
	demuxer.end();
	return { tracks, packets };
};

const tag = (...parts: (number[] | Uint8Array)[]): Uint8Array =>
	new Uint8Array(Buffer.concat(parts.map((p) => Uint8Array.from(p))));
const si24 = (v: number) => [(v >> 16) & 255, (v >> 8) & 255, v & 255];
const HVC1 = [0x68, 0x76, 0x63, 0x31];

test('an Enhanced RTMP H.265 + AAC publisher: hvc1 FourCC tags become an h265 track with the same frames', async () => {
	const { tracks, packets } = demux(fixture('h265-aac48'));
	const video = tracks.find((t) => t.codec === 'h265')!;
	const audio = tracks.find((t) => t.codec === 'aac')!;
	assert.ok(video && audio);

	const registry = new StreamRegistry();
	const key: StreamKey = { vhost: 'default', app: 'live', stream: 'hevc' };
	const collector = new Collector();
	registry.subscribe(key, collector);
	const listener = new RtmpListener({ port: 0, hub: registry });
	await listener.start();
	const socket = connect({ host: '127.0.0.1', port: listener.port });
	try {
		const media = new ChunkWriter((b) => socket.write(b));
		const publish = (streamId: number) => {
			const send = (type: number, ms: number, body: Uint8Array) =>
				media.write(type === 9 ? 6 : 4, type, streamId, ms, body);
			const meta = new AmfEcmaArray({ videocodecid: 'hvc1' as AmfValue, audiocodecid: 10, width: 320, height: 240 });
			media.write(5, MessageType.dataAmf0, streamId, 0, encodeAmf0('@setDataFrame', 'onMetaData', meta));
			// Enhanced video header: IsExHeader | FrameType << 4 | PacketType, then the FourCC.
			send(9, 0, tag([0x80 | (1 << 4) | 0], HVC1, video.config));
			send(8, 0, tag([0xaf, 0], audio.config));
			for (const p of packets) {
				const dtsMs = Math.round((p.dts * 1000) / (p.trackId === video.id ? video.timescale : audio.timescale));
				if (p.trackId === video.id) {
					const ctsMs = Math.round((p.pts - p.dts) / 90);
					send(9, dtsMs, tag([0x80 | ((p.keyframe ? 1 : 2) << 4) | 1], HVC1, si24(ctsMs), p.data));
				} else {
					send(8, dtsMs, tag([0xaf, 1], p.data));
				}
			}
			connection.command(streamId, 'deleteStream', 0, null, streamId);
		};
		const connection = new RtmpConnection('client', (b) => socket.write(b), {
			ready: () =>
				connection.command(0, 'connect', 1, { app: 'live', tcUrl: `rtmp://127.0.0.1:${listener.port}/live` }),
			command: (_id, [name, txn, , info]) => {
				if (name === '_result' && txn === 1) connection.command(0, 'createStream', 2, null);
				else if (name === '_result' && txn === 2)
					connection.command(info as number, 'publish', 0, null, 'hevc', 'live');
				else if (name === 'onStatus' && (info as { code?: string }).code === 'NetStream.Publish.Start') publish(1);
			},
			data: () => {},
			media: () => {},
			userControl: () => {},
		});
		socket.on('data', (b: Buffer) => connection.push(b));
		socket.on('connect', () => connection.start());
		await waitFor(() => collector.ends.length === 1, 10_000, 'the end of the HEVC stream');

		assert.equal(
			collector.tracks.map((t) => t.codec),
			['h265', 'aac'],
		);
		assert.equal([...collector.tracks[0]!.config], [...video.config], 'hvcC as sent');
		assert.equal(collector.tracks[0]!.video, { width: 320, height: 240 });
		for (const [sentTrack, got] of [
			[video, collector.tracks[0]!],
			[audio, collector.tracks[1]!],
		] as const) {
			const sent = packets.filter((p) => p.trackId === sentTrack.id);
			const received = collector.of(got.id);
			assert.is(received.length, sent.length, `${sentTrack.codec} packets`);
			for (let i = 0; i < sent.length; i++) {
				assert.equal(received[i]!.data, sent[i]!.data, `${sentTrack.codec} #${i} bytes`);
				assert.is(received[i]!.keyframe, sent[i]!.keyframe);
			}
		}
		// B-frames put PTS ahead of DTS: the composition offset of each tag was applied.
		assert.ok(collector.of(collector.tracks[0]!.id).some((p) => p.pts > p.dts));
	} finally {
		socket.destroy();
		await listener.stop();
	}
});

test.run();
