/**
 * Which finished files the age and size rules delete: a pure choice over the jobs' file lists, so it
 * can be checked without a disk. The free-space floor needs the disk's answer after each deletion and
 * is applied by Retention itself, over the files this plan leaves.
 */
import type { RetentionConfig } from '../../config/operations-config.ts';
import type { RecordedFile } from '../../recorder/recording.ts';
import type { RecordingJob } from '../../recorder/recording-job.ts';

/** A file on disk of a job, with the time it was finished (what "oldest" means). */
export type RetainedFile = { readonly job: RecordingJob; readonly file: RecordedFile; readonly endedMs: number };

/** A file to delete and the rule that asks for it (`maxAgeMs`, `maxTotalBytes` or `minFreeBytes`, global or the job's). */
export type Deletion = RetainedFile & { readonly rule: string };

export type FilesOnDisk = {
	/** Finished files, oldest first. */
	readonly finished: RetainedFile[];
	/** Bytes of the files being written, by job name. */
	readonly openBytes: Map<string, number>;
};

/**
 * The files of `jobs` sorted oldest first: only finished ones (`complete` or `recovered`) may be
 * deleted; an open (`writing`) one never is, but its bytes count towards a size limit (they are on
 * the disk too); a `failed` one is not listed as a file on disk.
 */
export const filesOnDisk = (
	jobs: readonly RecordingJob[],
	filesOf: (job: RecordingJob) => readonly RecordedFile[],
): FilesOnDisk => {
	const finished: RetainedFile[] = [];
	const openBytes = new Map<string, number>();
	for (const job of jobs) {
		for (const file of filesOf(job)) {
			if (file.state === 'writing') openBytes.set(job.name, (openBytes.get(job.name) ?? 0) + file.bytes);
			else if (file.state !== 'failed') finished.push({ job, file, endedMs: endedMs(file) });
		}
	}
	finished.sort((a, b) => a.endedMs - b.endedMs || a.file.sequence - b.file.sequence);
	return { finished, openBytes };
};

const endedMs = (file: RecordedFile): number => Date.parse(file.endedAt ?? file.startedAt);

/**
 * The deletions asked by age, then by the jobs' own total sizes, then by the global total, oldest
 * first each time. A job's rule applies on top of the global one: the stricter of the two wins.
 */
export const planDeletions = (
	files: readonly RetainedFile[],
	openBytes: ReadonlyMap<string, number>,
	config: RetentionConfig,
	now: number,
): Deletion[] => {
	const deletions: Deletion[] = [];
	const removed = new Set<RetainedFile>();
	const remove = (chosen: RetainedFile, rule: string) => {
		deletions.push({ ...chosen, rule });
		removed.add(chosen);
	};
	const kept = (entry: RetainedFile) => !removed.has(entry);
	for (const entry of files) {
		const rule = ageRule(config, entry.job.name);
		if (rule && now - entry.endedMs > rule.maxAgeMs) remove(entry, rule.name);
	}
	for (const [name, own] of Object.entries(config.jobs)) {
		if (own.maxTotalBytes === undefined) continue;
		const ofJob = files.filter((entry) => kept(entry) && entry.job.name === name);
		trim(ofJob, openBytes.get(name) ?? 0, own.maxTotalBytes, `job "${name}" maxTotalBytes`, remove);
	}
	if (config.maxTotalBytes !== undefined) {
		const open = [...openBytes.values()].reduce((total, bytes) => total + bytes, 0);
		trim(files.filter(kept), open, config.maxTotalBytes, 'maxTotalBytes', remove);
	}
	return deletions;
};

/** The shorter of the global and the job's age limits, named after where it is set. */
const ageRule = (
	global: RetentionConfig,
	name: string,
): { readonly maxAgeMs: number; readonly name: string } | undefined => {
	const ownAge = global.jobs[name]?.maxAgeMs;
	if (ownAge !== undefined && (global.maxAgeMs === undefined || ownAge < global.maxAgeMs)) {
		return { maxAgeMs: ownAge, name: `job "${name}" maxAgeMs` };
	}
	return global.maxAgeMs === undefined ? undefined : { maxAgeMs: global.maxAgeMs, name: 'maxAgeMs' };
};

/** Deletes the oldest of `files` (sorted oldest first) until they and `open` bytes fit in `limit`. */
const trim = (
	files: readonly RetainedFile[],
	open: number,
	limit: number,
	rule: string,
	remove: (entry: RetainedFile, rule: string) => void,
): void => {
	let total = open + files.reduce((bytes, entry) => bytes + entry.file.bytes, 0);
	for (const entry of files) {
		if (total <= limit) return;
		total -= entry.file.bytes;
		remove(entry, rule);
	}
};
