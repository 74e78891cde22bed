/**
 * The file lifecycle of one recording run: each file is written as `<final name>.part`, created new
 * (never over anything, never through a link) in a folder checked to lie inside the recordings root,
 * under a name no other file has or is being written to (free-path.ts); at close it gets its final
 * name without replacing anything (MP4/MOV defragmented into it), and the info XML gets its entry.
 * A file whose trailer could not be written, or that was never closed, is repaired into a playable
 * file instead. Every step is reported to the recording's observer.
 */
import { unlink } from 'node:fs/promises';
import { TapedeckError } from '../core/errors.ts';
import { FileSink } from '../sink/file-sink.ts';
import type { Sink } from '../sink/sink.ts';
import { newObjectId } from '../store/object-id.ts';
import { containedFolder } from './contained-folder.ts';
import { claimFreePath, releasePath } from './free-path.ts';
import { appendInfoFile } from './info-file.ts';
import { finalizePart, repairPart } from './part-file.ts';
import type { PathValues } from './path-template.ts';
import type { RecordedFile, RecordingObserver, RecordingSpec } from './recording-spec.ts';
import type { OpenedSegment, SegmentInfo } from './segment-file.ts';
import type { RecordingWarning } from './warning-log.ts';

export type RecordingFilesDeps = {
	readonly spec: RecordingSpec;
	readonly observer: Pick<RecordingObserver, 'fileOpened' | 'fileClosed'>;
	/** Opens the sink of a `.part` file; injectable to simulate a failing disk. */
	readonly openSink?: (path: string) => Sink;
	readonly now: () => Date;
	readonly warn: (warning: RecordingWarning) => void;
	/** The open file could not be made durable (a failed write or fdatasync): the recording cannot go on. */
	readonly fail: (error: unknown) => void;
};

/** `wanted`: the path the template gave at open; a file whose name changes at close is claimed afresh. */
type OpenFile = { readonly file: RecordedFile; readonly sink: Sink; readonly wanted: string };

// biome-ignore lint/suspicious/noTemplateCurlyInString: OvenMediaEngine's path macro, literally.
const SEQUENCE_MACRO = '${Sequence}';

export class RecordingFiles {
	readonly #deps: RecordingFilesDeps;
	/** Files opened and not yet closed, by `.part` path (a split closes one while the next is open). */
	readonly #open = new Map<string, OpenFile>();
	#current: OpenFile | undefined;
	/** Finalization of closed files, in order. */
	#finalizing: Promise<void> = Promise.resolve();

	constructor(deps: RecordingFilesDeps) {
		this.#deps = deps;
	}

	/** The file being written, if any. */
	get current(): RecordedFile | undefined {
		return this.#current?.file;
	}

	/** Creates the `.part` of file `sequence`; throws (a TapedeckError) when it cannot be made safely. */
	open(sequence: number, startedAt: Date): OpenedSegment {
		const { spec } = this.#deps;
		const wanted = spec.filePath.expand(this.#values(sequence, startedAt));
		const path = this.#claim(wanted, sequence);
		const partPath = `${path}.part`;
		let sink: Sink;
		try {
			sink = (this.#deps.openSink ?? ((p: string) => new FileSink(p, { exclusive: true })))(partPath);
		} catch (error) {
			releasePath(path);
			throw error;
		}
		const file: RecordedFile = {
			id: newObjectId(),
			sequence,
			path,
			partPath,
			state: 'writing',
			bytes: 0,
			durationMs: 0,
			startedAt: startedAt.toISOString(),
		};
		this.#current = { file, sink, wanted };
		this.#open.set(partPath, this.#current);
		this.#deps.observer.fileOpened(file);
		return { sink, path: partPath };
	}

	/** A file's sink closed: it gets its final name (or is repaired) in the background, in order. */
	closed(info: SegmentInfo, lastSequence: boolean): void {
		const open = this.#open.get(info.path);
		if (!open) return;
		this.#open.delete(info.path);
		if (this.#current === open) this.#current = undefined;
		this.#finalizing = this.#finalizing.then(() => this.#finalize(open, info, lastSequence));
	}

	/** Resolves once every closed file has its final name. */
	finished(): Promise<void> {
		return this.#finalizing;
	}

	/** Whether the open file's write queue is past its bound: the disk is behind, packets must be dropped. */
	get backlogged(): boolean {
		return this.#current?.sink.backlogged ?? false;
	}

	/** Makes the open file durable and refreshes its figures (what a crash would leave). */
	sync(progress: { readonly bytes: number; readonly durationMs: number } | undefined): void {
		const open = this.#current;
		if (!open) return;
		// Only while it is still the file being written: a split or a stop may have closed it meanwhile.
		open.sink.sync().catch((error: unknown) => {
			if (this.#current === open) this.#deps.fail(error);
		});
		if (!progress) return;
		open.file.bytes = progress.bytes;
		open.file.durationMs = progress.durationMs;
	}

	/** The `.part` paths of the files open now. */
	openPaths(): string[] {
		return [...this.#open.keys()];
	}

	/**
	 * Files whose writer failed never report closing: repair what reached the disk under the final
	 * name. Only `partPaths` when given (a retry may have opened newer files meanwhile).
	 */
	async salvage(partPaths: readonly string[] = this.openPaths()): Promise<void> {
		await this.#finalizing;
		const open: OpenFile[] = [];
		for (const partPath of partPaths) {
			const entry = this.#open.get(partPath);
			if (!entry) continue;
			open.push(entry);
			this.#open.delete(partPath);
			if (this.#current === entry) this.#current = undefined;
		}
		for (const { file, sink } of open) {
			await sink.close().catch(() => {});
			await this.#repair(file, file.path);
			file.endedAt = this.#deps.now().toISOString();
			this.#deps.observer.fileClosed(file);
		}
	}

	/** A free final name for `wanted` in a checked folder; a taken one gets a number, and a warning says so. */
	#claim(wanted: string, sequence: number): string {
		containedFolder(this.#deps.spec.filePath.root, wanted, true);
		const path = claimFreePath(wanted);
		if (path !== wanted) {
			const why = this.#deps.spec.filePath.template.includes(SEQUENCE_MACRO)
				? 'exists already'
				: `exists already (the file path has no ${SEQUENCE_MACRO})`;
			this.#deps.warn({ code: 'file', message: `file ${sequence}: ${wanted} ${why}; written as ${path}` });
		}
		return path;
	}

	async #finalize(open: OpenFile, info: SegmentInfo, lastSequence: boolean): Promise<void> {
		const { spec } = this.#deps;
		const { file } = open;
		let path = file.path;
		try {
			// `${EndTime}` is known only now: the final name may differ from the one claimed at open.
			const wanted = spec.filePath.expand(this.#values(file.sequence, info.startedAt, info.endedAt));
			if (wanted !== open.wanted) {
				releasePath(file.path);
				path = this.#claim(wanted, file.sequence);
			}
			if (info.damaged) {
				await this.#repair(file, path);
			} else {
				file.bytes = await finalizePart(file.partPath, path, spec.format);
				file.state = 'complete';
				file.path = path;
			}
		} catch (error) {
			file.state = 'failed';
			file.error = (error as Error).message;
		} finally {
			releasePath(path);
		}
		file.durationMs = info.durationMs;
		file.endedAt = info.endedAt.toISOString();
		this.#deps.observer.fileClosed(file);
		if (file.state !== 'failed') await this.#appendInfo(file, info, lastSequence);
	}

	async #repair(file: RecordedFile, path: string): Promise<void> {
		try {
			const repaired = await repairPart(file.partPath, path, this.#deps.spec.format);
			file.bytes = repaired.bytes;
			file.path = path;
			file.state = 'recovered';
		} catch (error) {
			file.state = 'failed';
			file.error = (error as Error).message;
		} finally {
			releasePath(path);
		}
	}

	async #appendInfo(file: RecordedFile, info: SegmentInfo, lastSequence: boolean): Promise<void> {
		const { spec } = this.#deps;
		if (!spec.infoPath) return;
		try {
			const infoPath = spec.infoPath.expand(this.#values(file.sequence, info.startedAt, info.endedAt));
			containedFolder(spec.infoPath.root, infoPath, true);
			await appendInfoFile(infoPath, {
				transactionId: spec.transactionId,
				id: spec.id,
				...(spec.metadata === undefined ? {} : { metadata: spec.metadata }),
				vhost: spec.key.vhost,
				app: spec.key.app,
				stream: spec.streamName,
				filePath: file.path,
				recordBytes: file.bytes,
				recordTime: file.durationMs,
				sequence: file.sequence,
				lastSequence,
				createdTime: spec.createdAt,
				startTime: info.startedAt,
				finishTime: info.endedAt,
			});
		} catch (error) {
			const message = error instanceof TapedeckError ? error.message : String(error);
			this.#deps.warn({ code: 'file', message: `info file not written: ${message}` });
		}
	}

	#values(sequence: number, startTime: Date, endTime?: Date): PathValues {
		const { spec } = this.#deps;
		return {
			virtualHost: spec.key.vhost,
			application: spec.key.app,
			stream: spec.streamName,
			sourceStream: spec.key.stream,
			sequence,
			id: spec.id,
			transactionId: spec.transactionId,
			startTime,
			...(endTime ? { endTime } : {}),
		};
	}
}

/** Deletes a finished file of a job, only inside the recordings root and through no link; gone already is fine. */
export const deleteRecordedFile = async (root: string, path: string): Promise<void> => {
	containedFolder(root, path, false);
	await unlink(path).catch((error: NodeJS.ErrnoException) => {
		if (error.code !== 'ENOENT')
			throw new TapedeckError('io', `cannot delete ${path}: ${error.message}`, { cause: error });
	});
};
