/**
 * An independent reading of an MP4/MOV/fMP4 file with mp4box.js, for tests: brands, fragments,
 * and per-track samples (DTS, CTS, duration, size, sync) with the edit list, plus comparisons
 * against the packets a muxer was given.
 */
import { readFileSync } from 'node:fs';
import { createFile, MP4BoxBuffer } from 'mp4box';
import * as assert from 'uvu/assert';
import type { Packet } from '../../src/core/packet.ts';
import { decodeErrors, ffprobeErrors, probeStreams } from './media-check.ts';

/** One sample as mp4box.js reads it; `fragment` is its moof's index (0-based) in fragmented files. */
export type CheckedSample = {
	dts: number;
	cts: number;
	duration: number;
	size: number;
	sync: boolean;
	fragment: number;
};

export type CheckedTrack = {
	id: number;
	/** RFC 6381 codec string, e.g. `avc1.64000d`, `mp4a.40.2`. */
	codec: string;
	timescale: number;
	samples: CheckedSample[];
	/** elst entries: segment_duration (movie timescale), media_time (−1 = empty). */
	edits: { duration: number; mediaTime: number }[];
};

export type CheckedFile = {
	brands: string[];
	fragmented: boolean;
	/** moof boxes. */
	fragments: number;
	movieTimescale: number;
	tracks: CheckedTrack[];
};

type Trak = {
	tkhd: { track_id: number };
	edts?: { elst?: { entries: { segment_duration: number; media_time: number }[] } };
};

export const readWithMp4box = (path: string): CheckedFile => {
	const bytes = readFileSync(path);
	const file = createFile();
	let info:
		| {
				brands: string[];
				isFragmented: boolean;
				timescale: number;
				tracks: { id: number; codec: string; timescale: number }[];
		  }
		| undefined;
	const errors: string[] = [];
	file.onReady = (i) => {
		info = i as unknown as typeof info;
	};
	file.onError = (module: string, message: string) => {
		errors.push(`${module}: ${message}`);
	};
	file.appendBuffer(
		MP4BoxBuffer.fromArrayBuffer(
			bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
			0,
		),
		true,
	);
	file.flush();
	if (!info) throw new Error(`mp4box could not read ${path}: ${errors.join('; ') || 'no moov'}`);
	const traks = (file as unknown as { moov: { traks: Trak[] } }).moov.traks;
	return {
		brands: info.brands,
		fragmented: info.isFragmented,
		fragments: (file as unknown as { moofs?: unknown[] }).moofs?.length ?? 0,
		movieTimescale: info.timescale,
		tracks: info.tracks.map((t) => ({
			id: t.id,
			codec: t.codec,
			timescale: t.timescale,
			samples: file.getTrackSamplesInfo(t.id).map((s) => ({
				dts: s.dts,
				cts: s.cts,
				duration: s.duration,
				size: s.size,
				sync: s.is_sync,
				fragment: s.moof_number ?? 0,
			})),
			edits: (traks.find((k) => k.tkhd.track_id === t.id)?.edts?.elst?.entries ?? []).map((e) => ({
				duration: e.segment_duration,
				mediaTime: e.media_time,
			})),
		})),
	};
};

/**
 * Differences (empty when none) between the packets given to a muxer for one track and the
 * samples read back: count, sizes, sync flags, DTS from the first, and composition offsets
 * (CTS − DTS) relative to the first sample's (fragmented files move the B-frame delay there).
 */
export const compareSamples = (packets: readonly Packet[], samples: readonly CheckedSample[]): string[] => {
	const problems: string[] = [];
	if (packets.length !== samples.length) problems.push(`count ${samples.length}, expected ${packets.length}`);
	const p0 = packets[0];
	const s0 = samples[0];
	if (!p0 || !s0) return problems;
	for (let i = 0; i < Math.min(packets.length, samples.length) && problems.length < 5; i++) {
		const p = packets[i] as Packet;
		const s = samples[i] as CheckedSample;
		if (p.data.length !== s.size) problems.push(`#${i} size ${s.size}, expected ${p.data.length}`);
		if (p.keyframe !== s.sync) problems.push(`#${i} sync ${s.sync}, expected ${p.keyframe}`);
		if (s.dts - s0.dts !== p.dts - p0.dts) problems.push(`#${i} dts +${s.dts - s0.dts}, expected +${p.dts - p0.dts}`);
		const offset = s.cts - s.dts - (s0.cts - s0.dts);
		const expected = p.pts - p.dts - (p0.pts - p0.dts);
		if (offset !== expected) problems.push(`#${i} composition offset ${offset}, expected ${expected}`);
	}
	return problems;
};

/**
 * Asserts what a user would check of a file written from packets `packets` (tracks `trackIds`)
 * whose original is `reference` (the fixture): ffprobe and a full decode are clean, mp4box.js
 * reads every sample back exactly, each stream lasts as long as the original's within one frame,
 * and the A/V first-PTS offset is the original's within 1 ms.
 */
export const assertFaithfulMp4 = async (
	file: string,
	reference: string,
	source: { readonly tracks: readonly { id: number }[]; readonly packets: readonly Packet[] },
): Promise<void> => {
	assert.is(await ffprobeErrors(file), '', 'ffprobe errors');
	assert.is(await decodeErrors(file), '', 'decode errors');
	const read = readWithMp4box(file);
	for (const { id } of source.tracks) {
		const samples = read.tracks.find((t) => t.id === id)?.samples ?? [];
		const packets = source.packets.filter((p) => p.trackId === id);
		assert.equal(compareSamples(packets, samples), [], `track ${id} samples`);
	}
	const [expected, actual] = await Promise.all([probeStreams(reference), probeStreams(file)]);
	assert.is(actual.length, expected.length, 'stream count');
	for (const want of expected) {
		const got = actual.find((s) => s.codecType === want.codecType);
		assert.ok(got, `${want.codecType} stream present`);
		const frame = want.duration / want.packets;
		assert.ok(
			Math.abs(got.duration - want.duration) <= frame + 1e-6,
			`${want.codecType} duration ${got.duration} s, original ${want.duration} s`,
		);
	}
	const offset = (streams: typeof expected): number | undefined => {
		const video = streams.find((s) => s.codecType === 'video');
		const audio = streams.find((s) => s.codecType === 'audio');
		return video && audio ? video.firstPts - audio.firstPts : undefined;
	};
	const [got, want] = [offset(actual), offset(expected)];
	if (got !== undefined || want !== undefined) {
		assert.ok(Math.abs((got ?? 0) - (want ?? 0)) <= 0.001, `A/V offset ${got} s, original ${want} s`);
	}
};
