/**
 * A packet source for muxer tests: reads an MP4 (made by ffmpeg) with mp4box.js into the bus
 * form, `Track[]` + `Packet[]` interleaved by DTS. Decoder configs are the raw payloads of the
 * stsd entry's avcC/hvcC/dOps boxes and the esds DecoderSpecificInfo. Edit lists are applied
 * (empty edit added, media_time removed) and all tracks shifted together so the first DTS is
 * ≥ 0: the A/V offset of the source stays as it was.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFile, MP4BoxBuffer } from 'mp4box';
import { type FixtureName, fixture } from '../../fixtures/fixtures.ts';
import type { Muxer } from '../../mux/muxer.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { CodecId, Track } from '../../src/core/track.ts';
import { FileSink } from '../../src/sink/file-sink.ts';

export type Mp4Source = { tracks: Track[]; packets: Packet[] };

/** Loose shapes of the mp4box.js boxes we read. */
type RawBox = { start: number; size: number; hdr_size: number };
type Descriptor = { tag: number; oti?: number; data?: Uint8Array; descs: Descriptor[] };
type SampleEntry = RawBox & {
	type: string;
	width?: number;
	height?: number;
	channel_count?: number;
	samplerate?: number;
	avcC?: RawBox;
	hvcC?: RawBox;
	dOps?: RawBox;
	esds?: { esd: Descriptor };
};
type ElstEntry = { segment_duration: number; media_time: number };
type Trak = {
	tkhd: { track_id: number };
	edts?: { elst?: { entries: ElstEntry[] } };
	mdia: { mdhd: { timescale: number }; minf: { stbl: { stsd: { entries: SampleEntry[] } } } };
};

/** `ffmpeg -c copy` of `input` into `output` (container by extension, or `format`). */
export const remux = (input: string, output: string, args: readonly string[] = []): string => {
	const result = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', input, '-c', 'copy', ...args, output], {
		encoding: 'utf8',
		timeout: 60_000,
	});
	if (result.status !== 0) throw new Error(`ffmpeg could not remux ${input}: ${result.stderr}`);
	return output;
};

const fixtureSources = new Map<string, Mp4Source>();

/** A fixture remuxed by ffmpeg into MP4 in `dir` and read into packets, once per fixture and folder. */
export const fixtureMp4Source = (name: FixtureName, dir: string): Mp4Source => {
	const path = join(dir, `${name}-source.mp4`);
	let found = fixtureSources.get(path);
	if (!found) {
		found = readMp4Source(remux(fixture(name), path));
		fixtureSources.set(path, found);
	}
	return found;
};

export const readMp4Source = (path: string): Mp4Source => {
	const bytes = readFileSync(path);
	const file = createFile();
	let movieTimescale = 1000;
	file.onReady = (info) => {
		movieTimescale = info.timescale;
	};
	file.onError = (module: string, message: string) => {
		throw new Error(`mp4box: ${module}: ${message}`);
	};
	const buffer = MP4BoxBuffer.fromArrayBuffer(
		bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
		0,
	);
	file.appendBuffer(buffer, true);
	file.flush();
	const payload = (box: RawBox | undefined): Uint8Array =>
		box ? new Uint8Array(bytes.subarray(box.start + box.hdr_size, box.start + box.size)) : new Uint8Array(0);

	const tracks: Track[] = [];
	const perTrack: { track: Track; packets: Packet[] }[] = [];
	for (const moovTrack of (file as unknown as { moov: { traks: Trak[] } }).moov.traks) {
		const id = moovTrack.tkhd.track_id;
		const timescale = moovTrack.mdia.mdhd.timescale;
		const entry = moovTrack.mdia.minf.stbl.stsd.entries[0] as SampleEntry;
		const first = file.getTrackSamplesInfo(id)[0];
		const track = toTrack(id, timescale, entry, payload, first && bytes.subarray(first.offset, first.offset + 4));
		tracks.push(track);
		// Edit list: presentation = media time − media_time + empty edit.
		const edits = moovTrack.edts?.elst?.entries ?? [];
		let shift = 0;
		for (const edit of edits) {
			if (edit.media_time === -1) shift += Math.round((edit.segment_duration / movieTimescale) * timescale);
			else {
				shift -= edit.media_time;
				break;
			}
		}
		const packets = file.getTrackSamplesInfo(id).map(
			(s): Packet => ({
				trackId: id,
				dts: s.dts + shift,
				pts: s.cts + shift,
				duration: s.duration,
				keyframe: s.is_sync,
				data: bytes.subarray(s.offset, s.offset + s.size),
			}),
		);
		perTrack.push({ track, packets });
	}
	// One shift for all tracks (in seconds) so every DTS is ≥ 0.
	let earliest = 0;
	for (const { track, packets } of perTrack) {
		if (packets[0]) earliest = Math.min(earliest, packets[0].dts / track.timescale);
	}
	const packets: Packet[] = [];
	for (const { track, packets: own } of perTrack) {
		const ticks = Math.round(-earliest * track.timescale);
		for (const p of own) packets.push({ ...p, dts: p.dts + ticks, pts: p.pts + ticks });
	}
	const timescales = new Map(tracks.map((t) => [t.id, t.timescale]));
	const seconds = (p: Packet): number => p.dts / (timescales.get(p.trackId) ?? 1);
	packets.sort((a, b) => seconds(a) - seconds(b) || a.trackId - b.trackId);
	return { tracks, packets };
};

const toTrack = (
	id: number,
	timescale: number,
	entry: SampleEntry,
	payload: (box?: RawBox) => Uint8Array,
	firstFrame: Uint8Array | undefined,
): Track => {
	const base = { id, timescale, name: '' };
	switch (entry.type) {
		case 'avc1':
		case 'avc3':
		case 'hvc1':
		case 'hev1': {
			const h264 = entry.type.startsWith('avc');
			return {
				...base,
				kind: 'video',
				name: 'video',
				codec: h264 ? 'h264' : 'h265',
				config: payload(h264 ? entry.avcC : entry.hvcC),
				video: { width: entry.width ?? 0, height: entry.height ?? 0 },
			};
		}
		case 'mp4v': {
			// MPEG-1/2 video: the sequence header (and extension) is the esds DecoderSpecificInfo
			const dsi = entry.esds?.esd.descs.find((d) => d.tag === 4)?.descs.find((d) => d.tag === 5)?.data;
			return {
				...base,
				kind: 'video',
				name: 'video',
				codec: 'mpeg2video',
				config: new Uint8Array(dsi ?? []),
				video: { width: entry.width ?? 0, height: entry.height ?? 0 },
			};
		}
		default: {
			const decoderConfig = entry.esds?.esd.descs.find((d) => d.tag === 4);
			// MPEG audio (objectTypeIndication 0x69/0x6B) says its layer in each frame header: Layer II is 'mp2'
			const mpegAudio: CodecId = firstFrame && ((firstFrame[1] ?? 0) >> 1) % 4 === 2 ? 'mp2' : 'mp3';
			const codec: CodecId =
				entry.type === 'Opus'
					? 'opus'
					: entry.type === 'ac-3'
						? 'ac3'
						: decoderConfig?.oti === 0x40
							? 'aac'
							: mpegAudio;
			const dsi = decoderConfig?.descs.find((d) => d.tag === 5)?.data;
			return {
				...base,
				kind: 'audio',
				name: 'audio',
				codec,
				config:
					codec === 'opus' ? payload(entry.dOps) : codec === 'aac' && dsi ? new Uint8Array(dsi) : new Uint8Array(0),
				audio: { sampleRate: entry.samplerate ?? timescale, channels: entry.channel_count ?? 2 },
			};
		}
	}
};

/** Feeds `source` through a muxer into `path` (FileSink), the way a recorder would. */
export const muxToFile = async (
	makeMuxer: (tracks: readonly Track[], sink: FileSink) => Muxer,
	source: Mp4Source,
	path: string,
): Promise<Muxer> => {
	const sink = new FileSink(path);
	const muxer = makeMuxer(source.tracks, sink);
	muxer.writeHeader();
	for (const packet of source.packets) muxer.writePacket(packet);
	muxer.finish();
	await sink.close();
	return muxer;
};

/** The packets of one track. */
export const trackPackets = (source: Mp4Source, trackId: number): Packet[] =>
	source.packets.filter((p) => p.trackId === trackId);
