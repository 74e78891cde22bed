import { link, lstat, rename, stat, truncate, unlink } from 'node:fs/promises';
import { completeFragments } from '../../mux/mp4/complete-fragments.ts';
import { type DefragmentReport, defragmentMp4 } from '../../mux/mp4/defragment.ts';
import { repairInPlace } from '../../mux/repair.ts';
import { TapedeckError } from '../core/errors.ts';
import type { RecordFormat } from './recording.ts';

/** What a repair did, for the start-up report; the media duration when it could be measured. */
export type RepairResult = { readonly bytes: number; readonly note: string; readonly durationMs?: number };

/**
 * Turns a cleanly closed `.part` into the final file: MP4/MOV (written fragmented while recording)
 * become a progressive file; the other containers (fragmented MP4 included) are complete as written
 * and are renamed.
 * Resolves with the final file's size.
 */
export const finalizePart = async (partPath: string, finalPath: string, format: RecordFormat): Promise<number> => {
	if (format === 'mp4' || format === 'mov') return (await repairPart(partPath, finalPath, format)).bytes;
	await moveNoClobber(partPath, finalPath);
	return (await stat(finalPath)).size;
};

/**
 * Gives `from` the name `to` unless something is there already (a file, or a link: never followed,
 * never replaced). A hard link then an unlink is a rename that cannot clobber; where the file
 * system has no hard links, a rename after checking.
 */
export const moveNoClobber = async (from: string, to: string): Promise<void> => {
	try {
		await link(from, to);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EEXIST') throw alreadyThere(to, from, error);
		if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
		if (
			await lstat(to).then(
				() => true,
				() => false,
			)
		)
			throw alreadyThere(to, from, error);
		await rename(from, to);
		return;
	}
	await unlink(from);
};

const noFragment = (partPath: string): TapedeckError =>
	new TapedeckError('corrupt_input', `${partPath} holds no complete fragment: nothing was recorded, removed`);

const alreadyThere = (to: string, from: string, cause: unknown): TapedeckError =>
	new TapedeckError('conflict', `${to} already exists: it is never overwritten; the media stays in ${from}`, {
		cause,
	});

/**
 * Makes a `.part` left by a crash or a failed write playable under its final name: MP4/MOV are
 * rebuilt from their complete fragments, MPEG-TS is cut to whole packets and access units, FLV to whole tags (with
 * its metadata rewritten), AVI to whole chunks (with its indexes rebuilt), and an empty file is removed.
 */
export const repairPart = async (partPath: string, finalPath: string, format: RecordFormat): Promise<RepairResult> => {
	const part = await lstat(partPath);
	if (!part.isFile()) {
		throw new TapedeckError('invalid_argument', `${partPath} is not a plain file (a link?): it is never repaired`);
	}
	const size = part.size;
	if (size === 0) {
		await unlink(partPath);
		throw new TapedeckError('corrupt_input', `${partPath} is empty: nothing was recorded, removed`);
	}
	switch (format) {
		case 'mp4':
		case 'mov':
			return defragment(partPath, finalPath, format);
		// A crash can leave half a fragment at the end: rebuilt from the complete ones, as a progressive MP4.
		case 'fmp4':
			return defragment(partPath, finalPath, 'mp4');
		case 'ts':
		case 'flv':
		case 'avi': {
			const report = await repairInPlace(format, partPath);
			await moveNoClobber(partPath, finalPath);
			// A TS repair measures no duration: the recorder keeps the one it last recorded (it reads no input formats).
			const { durationMs } = report;
			return { bytes: report.bytesAfter, note: report.note, ...(durationMs === undefined ? {} : { durationMs }) };
		}
	}
};

/**
 * Keeps the fragmented `.part` as the final file, cut at the end of its last complete fragment: a
 * fragment the full disk cut short would read as a truncated file with broken NAL sizes. Cutting
 * frees space and takes none.
 */
const keepFragmented = async (partPath: string, finalPath: string, why: string): Promise<RepairResult> => {
	const whole = await completeFragments(partPath);
	if (whole.fragments === 0) {
		await unlink(partPath);
		throw noFragment(partPath);
	}
	const cut = (await stat(partPath)).size - whole.bytes;
	if (cut > 0) await truncate(partPath, whole.bytes);
	await moveNoClobber(partPath, finalPath);
	const dropped = cut > 0 ? `, cut after fragment ${whole.fragments} (${cut} bytes of an incomplete one dropped)` : '';
	return { bytes: whole.bytes, note: `kept fragmented (${why})${dropped}` };
};

/**
 * The fragmented `.part` becomes a progressive file. When that fails for want of space or a broken
 * fragment table, the fragmented file itself is kept under the final name: it plays as it is.
 */
const defragment = async (partPath: string, finalPath: string, brand: 'mp4' | 'mov'): Promise<RepairResult> => {
	if (
		await lstat(finalPath).then(
			() => true,
			() => false,
		)
	)
		throw alreadyThere(finalPath, partPath, undefined);
	let report: DefragmentReport;
	try {
		report = await defragmentMp4(partPath, finalPath, { brand });
	} catch (error) {
		await unlink(finalPath).catch(() => {});
		return keepFragmented(partPath, finalPath, (error as Error).message);
	}
	if (report.fragmentsKept === 0) {
		await unlink(finalPath).catch(() => {});
		await unlink(partPath);
		throw noFragment(partPath);
	}
	await unlink(partPath);
	// fragmentsDropped already counts the partial fragment at the end (trailingBytes > 0).
	const dropped = report.fragmentsDropped;
	return {
		bytes: (await stat(finalPath)).size,
		note:
			dropped > 0
				? `rebuilt from ${report.fragmentsKept} fragments, dropped ${dropped} incomplete ${dropped === 1 ? 'one' : 'ones'}`
				: 'complete',
		durationMs: report.durationMs,
	};
};
