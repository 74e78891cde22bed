import { createReadStream } from 'node:fs';
import { open, rename, stat, truncate, unlink } from 'node:fs/promises';
import { type DemuxerKind, createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { TapedeckError } from '../core/errors.ts';
import type { RecordFormat } from './recording.ts';

/** MPEG-TS packet size (ISO/IEC 13818-1 §2.4.3.2): a file cut mid-packet is truncated to whole packets. */
const TS_PACKET_BYTES = 188;

/** What a repair did, for the start-up report; the media duration when it could be measured. */
export type RepairResult = { readonly bytes: number; readonly note: string; readonly durationMs?: number };

/**
 * Turns a cleanly closed `.part` into the final file: MP4/MOV (written fragmented while recording)
 * become a progressive file; the other containers are complete as written and are renamed.
 * Resolves with the final file's size.
 */
export const finalizePart = async (partPath: string, finalPath: string, format: RecordFormat): Promise<number> => {
	if (format === 'mp4' || format === 'mov') return (await repairPart(partPath, finalPath, format)).bytes;
	await rename(partPath, finalPath);
	return (await stat(finalPath)).size;
};

/**
 * Makes a `.part` left by a crash or a failed write playable under its final name: MP4/MOV are
 * rebuilt from their fragments, MPEG-TS is cut to whole packets, and an empty file is removed.
 */
export const repairPart = async (partPath: string, finalPath: string, format: RecordFormat): Promise<RepairResult> => {
	const size = (await stat(partPath)).size;
	if (size === 0) {
		await unlink(partPath);
		throw new TapedeckError('corrupt_input', `${partPath} is empty: nothing was recorded, removed`);
	}
	switch (format) {
		case 'ts': {
			const whole = size - (size % TS_PACKET_BYTES);
			if (whole !== size) await truncate(partPath, whole);
			await syncFile(partPath);
			await rename(partPath, finalPath);
			return {
				bytes: whole,
				note: whole === size ? 'complete' : `cut ${size - whole} bytes of a partial packet`,
				durationMs: await measureDurationMs(finalPath, 'ts').catch(() => undefined),
			};
		}
		default:
			await rename(partPath, finalPath);
			return { bytes: size, note: 'renamed' };
	}
};

const syncFile = async (path: string): Promise<void> => {
	const handle = await open(path, 'r+');
	try {
		await handle.datasync();
	} finally {
		await handle.close();
	}
};

/**
 * The media duration of a file, read with our own demuxer: the longest track's span from its first
 * DTS to its last DTS plus duration. Undefined when the file holds no media.
 */
export const measureDurationMs = async (path: string, kind: DemuxerKind): Promise<number | undefined> => {
	const spans = new Map<number, { timescale: number; first: number; end: number }>();
	const timescales = new Map<number, number>();
	const demuxer = createDemuxer(kind, {
		announce: (tracks) => {
			for (const track of tracks) timescales.set(track.id, track.timescale);
		},
		push: (packet) => {
			const span = spans.get(packet.trackId);
			const end = packet.dts + packet.duration;
			if (span) {
				if (end > span.end) span.end = end;
				return;
			}
			const timescale = timescales.get(packet.trackId);
			if (timescale) spans.set(packet.trackId, { timescale, first: packet.dts, end });
		},
	});
	for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) demuxer.push(chunk as Buffer);
	demuxer.end();
	let longest: number | undefined;
	for (const span of spans.values()) {
		const ms = ((span.end - span.first) * 1000) / span.timescale;
		if (longest === undefined || ms > longest) longest = ms;
	}
	return longest === undefined ? undefined : Math.round(longest);
};
