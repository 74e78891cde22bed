/**
 * A media file given on the command line: checked, recognised by its first bytes, then streamed
 * through a demuxer in 1 MiB reads so memory stays flat however large the file is.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { type DemuxerKind, sniffDemuxerKind } from '../../ingest/demux/create-demuxer.ts';
import type { Demuxer } from '../../ingest/media-receiver.ts';
import { TapedeckError } from '../core/errors.ts';
import { ProgressBar } from './progress.ts';

const READ_BYTES = 1 << 20;
const SNIFF_BYTES = 188 * 8;
/** How much input may pass between two waits on the output: bounds what sits in write buffers. */
const DRAIN_EVERY_BYTES = 8 << 20;

export type InputFile = { readonly path: string; readonly size: number; readonly kind: DemuxerKind };

export const KIND_NAMES: Record<DemuxerKind, string> = { ts: 'MPEG-TS', flv: 'FLV' };

/** Checks that `path` is a readable file tapedeck can demux. */
export const openInputFile = (path: string): InputFile => {
	let size: number;
	try {
		const stat = statSync(path);
		if (!stat.isFile()) throw new TapedeckError('invalid_argument', `input ${path} is not a file`);
		size = stat.size;
	} catch (error) {
		if (error instanceof TapedeckError) throw error;
		throw new TapedeckError('not_found', `input file not found: ${path}`, { cause: error });
	}
	const head = new Uint8Array(Math.min(SNIFF_BYTES, size));
	const fd = openSync(path, 'r');
	try {
		readSync(fd, head, 0, head.length, 0);
	} finally {
		closeSync(fd);
	}
	const kind = sniffDemuxerKind(head);
	if (!kind) {
		throw new TapedeckError(
			'corrupt_input',
			`cannot read ${path}: not MPEG-TS (no 0x47 sync bytes 188 apart) and not FLV (no 'FLV' signature)`,
		);
	}
	return { path, size, kind };
};

export type PumpOptions = {
	/** Called every few MiB: the caller's back-pressure point (await the output's drain). */
	readonly drain?: () => Promise<void>;
	/** Stop early, e.g. once the output failed. */
	readonly stopped?: () => boolean;
};

/** Streams the whole file through `demuxer`, then ends it; shows a progress bar on a terminal. */
export const pumpInputFile = async (input: InputFile, demuxer: Demuxer, options: PumpOptions = {}): Promise<void> => {
	const progress = new ProgressBar(input.size);
	let read = 0;
	let sinceDrain = 0;
	for await (const chunk of createReadStream(input.path, { highWaterMark: READ_BYTES })) {
		const bytes = chunk as Buffer;
		demuxer.push(bytes);
		read += bytes.length;
		sinceDrain += bytes.length;
		progress.update(read);
		if (options.stopped?.()) break;
		if (sinceDrain >= DRAIN_EVERY_BYTES && options.drain) {
			sinceDrain = 0;
			await options.drain();
		}
	}
	demuxer.end();
	progress.done(read);
};
