/**
 * A media file given on the command line: checked, recognised by its first bytes, then streamed
 * through a demuxer in reads of about 1.5 MB so memory stays flat however large the file is.
 */
import { close, closeSync, openSync, read, readSync, statSync } from 'node:fs';
import { createDemuxer, type DemuxerKind, sniffDemuxerKind } from '../../ingest/demux/create-demuxer.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { TapedeckError } from '../core/errors.ts';
import type { Demuxer, MediaReceiver } from '../core/media-receiver.ts';
import { ProgressBar } from './progress.ts';

/**
 * Bytes per read: whole 188-byte TS packets (8192 of them), so an aligned TS file never has a
 * packet cut across two reads, and few enough read calls that their overhead does not matter.
 */
const READ_BYTES = 188 * 8192;
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

/**
 * The demuxer for the input's kind; `program` (a program_number) picks the program of an MPEG-TS
 * input, which is the only kind that has programs.
 */
export const openDemuxer = (input: InputFile, receiver: MediaReceiver, program?: number): Demuxer => {
	if (program === undefined) return createDemuxer(input.kind, receiver);
	if (input.kind !== 'ts') {
		throw new TapedeckError(
			'invalid_argument',
			`--program applies to MPEG-TS input; ${input.path} is ${KIND_NAMES[input.kind]}`,
		);
	}
	return new TsDemuxer(receiver, { program });
};

export type PumpOptions = {
	/** Called every few MiB: the caller's back-pressure point (await the output's drain). */
	readonly drain?: () => Promise<void>;
	/** Stop early, e.g. once the output failed. */
	readonly stopped?: () => boolean;
};

/**
 * Streams the whole file through `demuxer`, then ends it; shows a progress bar on a terminal.
 *
 * Two read buffers, allocated once, take turns: while the demuxer works on one, the next read
 * fills the other on libuv's thread pool (the kernel's copy from the page cache runs on the other
 * core). A buffer is refilled once `push` has returned, so demuxers must copy what they keep past
 * the call (they all do: their own assembly buffers, and owned copies of configs).
 */
export const pumpInputFile = async (input: InputFile, demuxer: Demuxer, options: PumpOptions = {}): Promise<void> => {
	const progress = new ProgressBar(input.size);
	const fd = openSync(input.path, 'r');
	let buffer = new Uint8Array(READ_BYTES);
	let spare = new Uint8Array(READ_BYTES);
	let read = 0;
	let sinceDrain = 0;
	let next = readAt(fd, buffer, 0);
	try {
		for (;;) {
			const count = await next;
			if (count === 0) break;
			read += count;
			next = readAt(fd, spare, read);
			demuxer.push(count === READ_BYTES ? buffer : buffer.subarray(0, count));
			[buffer, spare] = [spare, buffer];
			sinceDrain += count;
			progress.update(read);
			if (options.stopped?.()) break;
			if (sinceDrain >= DRAIN_EVERY_BYTES && options.drain) {
				sinceDrain = 0;
				await options.drain();
			}
		}
	} finally {
		await next.catch(() => 0); // the read ahead must land before its descriptor closes
		await new Promise<void>((resolve) => close(fd, () => resolve()));
	}
	demuxer.end();
	progress.done(read);
};

/** One positional read into the whole of `buffer`: resolves with the bytes read, 0 at the end of the file. */
const readAt = (fd: number, buffer: Uint8Array, position: number): Promise<number> =>
	new Promise((resolve, reject) =>
		read(fd, buffer, 0, buffer.length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
	);
