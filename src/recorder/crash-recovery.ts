import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { containedFolder } from './contained-folder.ts';
import { repairPart } from './part-file.ts';
import type { RecordedFile } from './recording.ts';
import { RECORD_FORMATS, type RecordFormat } from './recording.ts';
import type { JobStore } from './recording-job.ts';

export type RecoveredFile = {
	/** The job the file belongs to; undefined for a `.part` no job knows (an orphan). */
	readonly jobId: string | undefined;
	readonly path: string;
	readonly outcome: 'recovered' | 'completed' | 'failed';
	readonly note: string;
};

export type RecoveryReport = {
	readonly files: RecoveredFile[];
	/** Files whose state changed, with their job: the caller saves them. */
	readonly changedFiles: ReadonlyArray<{ readonly jobId: string; readonly file: RecordedFile }>;
};

/**
 * After an unclean exit (SIGKILL, power loss), turns every file that was being written into a
 * playable file under its final name: files the job store lists as `writing`, then any other `.part`
 * under the recordings folder. A file that was already renamed when the process died is simply
 * marked complete.
 */
export const recoverFiles = async (store: JobStore, recordingsRoot: string): Promise<RecoveryReport> => {
	const files: RecoveredFile[] = [];
	const changedFiles: Array<{ jobId: string; file: RecordedFile }> = [];
	const known = new Set<string>();
	for (const job of store.all()) {
		for (const file of store.items(job.id)) {
			if (file.state !== 'writing') continue;
			known.add(file.partPath);
			changedFiles.push({ jobId: job.id, file });
			if (existsSync(file.partPath)) {
				try {
					containedFolder(recordingsRoot, file.partPath, false);
					const repaired = await repairPart(file.partPath, file.path, job.format);
					file.state = 'recovered';
					file.bytes = repaired.bytes;
					if (repaired.durationMs !== undefined) file.durationMs = repaired.durationMs;
					files.push({ jobId: job.id, path: file.path, outcome: 'recovered', note: repaired.note });
				} catch (error) {
					file.state = 'failed';
					file.error = (error as Error).message;
					files.push({ jobId: job.id, path: file.path, outcome: 'failed', note: file.error });
				}
			} else if (existsSync(file.path)) {
				file.state = 'complete';
				file.bytes = (await stat(file.path)).size;
				files.push({ jobId: job.id, path: file.path, outcome: 'completed', note: 'was renamed before the exit' });
			} else {
				file.state = 'failed';
				file.error = 'the file was gone after the restart';
				files.push({ jobId: job.id, path: file.path, outcome: 'failed', note: file.error });
			}
			file.endedAt ??= new Date().toISOString();
		}
	}
	for (const partPath of await findPartFiles(recordingsRoot)) {
		if (known.has(partPath)) continue;
		const finalPath = partPath.slice(0, -'.part'.length);
		const format = formatOf(finalPath);
		try {
			const repaired = await repairPart(partPath, finalPath, format);
			files.push({ jobId: undefined, path: finalPath, outcome: 'recovered', note: `orphan: ${repaired.note}` });
		} catch (error) {
			files.push({ jobId: undefined, path: finalPath, outcome: 'failed', note: (error as Error).message });
		}
	}
	return { files, changedFiles };
};

/** The container a final file name says, MPEG-TS when it says none we write. */
const formatOf = (path: string): RecordFormat => {
	const ext = extname(path).slice(1).toLowerCase();
	return (RECORD_FORMATS as readonly string[]).includes(ext) ? (ext as RecordFormat) : 'ts';
};

const findPartFiles = async (root: string): Promise<string[]> => {
	const found: string[] = [];
	const walk = async (dir: string): Promise<void> => {
		const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
		for (const entry of entries) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) await walk(path);
			else if (entry.isFile() && entry.name.endsWith('.part')) found.push(path);
		}
	};
	await walk(root);
	return found;
};
