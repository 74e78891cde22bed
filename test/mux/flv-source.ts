/** Test sources for the FLV and AVI muxer tests: an FLV file through our demuxer, into the bus form. */
import { FlvDemuxer } from '../../ingest/demux/flv/flv-demuxer.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import type { Muxer } from '../../mux/muxer.ts';
import type { Demuxer, MediaReceiver } from '../../src/core/media-receiver.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';

export type Source = { tracks: Track[]; packets: Packet[] };

/** Demuxes FLV bytes; payloads are copied so the packets outlive the demuxer's buffers. */
export const demuxFlv = (bytes: Uint8Array): Source & { demuxer: FlvDemuxer } => demux(bytes, (r) => new FlvDemuxer(r));

/** Demuxes MPEG-TS bytes with every track shifted by one offset so the earliest DTS is 0 (what the recorder's rebaser does). */
export const demuxTs = (bytes: Uint8Array): Source => {
	const source = demux(bytes, (r) => new TsDemuxer(r));
	const scale = new Map(source.tracks.map((t) => [t.id, t.timescale]));
	const earliest = Math.min(...source.packets.map((p) => p.dts / scale.get(p.trackId)!));
	const packets = source.packets.map((p) => {
		const shift = Math.round(earliest * scale.get(p.trackId)!);
		return { ...p, dts: p.dts - shift, pts: p.pts - shift };
	});
	return { tracks: source.tracks, packets };
};

const demux = <D extends Demuxer>(bytes: Uint8Array, make: (receiver: MediaReceiver) => D): Source & { demuxer: D } => {
	const out: Source = { tracks: [], packets: [] };
	const demuxer = make({
		announce: (tracks) => {
			out.tracks = [...tracks];
		},
		push: (packet) => {
			out.packets.push({ ...packet, data: new Uint8Array(packet.data) });
		},
	});
	demuxer.push(bytes);
	demuxer.end();
	return { ...out, demuxer };
};

/** Header, every packet, trailer. */
export const writeAll = (muxer: Muxer, packets: readonly Packet[]): void => {
	muxer.writeHeader();
	for (const p of packets) muxer.writePacket(p);
	muxer.finish();
};
