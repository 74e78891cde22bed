/**
 * Retention: deletes finished recordings by age, by total size and to keep a free-space floor on the
 * recordings' disk, oldest first, never a file being written. It runs every `checkIntervalMs` and
 * whenever a file completes. Deletions go through the RecordingService, so each job's file list
 * stays right and a `file.deleted` event goes out; each is logged as `retention.deleted`.
 *
 * When deleting cannot bring the free space back over the floor, every recording is stopped (its
 * files finalized) with the reason in its state, and they start again by themselves once a later
 * check finds the space back: a disk filled to the last byte would cut the open files short.
 */
import { rmdir, statfs } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import type { RetentionConfig } from '../../config/operations-config.ts';
import { type Logger, silentLogger } from '../../core/logger.ts';
import type { RecordingService } from '../../recorder/recording-service.ts';
import { type Deletion, filesOnDisk, planDeletions, type RetainedFile } from './retention-plan.ts';

/** Bytes an unprivileged process may still write on the file system holding `path` (statfs(2) `f_bavail`). */
export type FreeBytes = (path: string) => Promise<number>;

export const statfsFreeBytes: FreeBytes = async (path) => {
	const stats = await statfs(path);
	return stats.bavail * stats.bsize;
};

export type RetentionOptions = {
	readonly service: Pick<RecordingService, 'list' | 'files' | 'removeFile' | 'suspend' | 'resume' | 'events'>;
	readonly config: RetentionConfig;
	readonly recordingsRoot: string;
	readonly logger?: Logger;
	/** Injectable to test the floor without filling a disk. */
	readonly freeBytes?: FreeBytes;
	readonly now?: () => number;
};

export class Retention {
	readonly #options: RetentionOptions;
	readonly #logger: Logger;
	readonly #freeBytes: FreeBytes;
	#timer: NodeJS.Timeout | undefined;
	#unsubscribe: (() => void) | undefined;
	/** The check waiting to run after the current one (at most one: it sees every change before it). */
	#queued: Promise<void> | undefined;
	#last: Promise<void> = Promise.resolve();
	/** Set while this retention holds the recordings stopped for want of space. */
	#suspended = false;

	constructor(options: RetentionOptions) {
		this.#options = options;
		this.#logger = options.logger ?? silentLogger;
		this.#freeBytes = options.freeBytes ?? statfsFreeBytes;
	}

	/** Checks now, then periodically and on each completed file. */
	start(): void {
		if (this.#timer) return;
		this.#unsubscribe = this.#options.service.events.on((event) => {
			if (event.type === 'file.completed') void this.check();
		});
		this.#timer = setInterval(() => void this.check(), this.#options.config.checkIntervalMs);
		this.#timer.unref();
		void this.check();
	}

	/** Stops checking; resolves once a check under way is done. */
	async stop(): Promise<void> {
		clearInterval(this.#timer);
		this.#timer = undefined;
		this.#unsubscribe?.();
		await this.#last;
	}

	/** One pass of every rule (queued behind a pass under way); never rejects: failures are logged. */
	check(): Promise<void> {
		if (!this.#queued) {
			this.#queued = this.#last.then(() => {
				this.#queued = undefined;
				return this.#pass().catch((error: unknown) =>
					this.#logger.error({ event: 'retention.failed', error: (error as Error).message }, 'retention check failed'),
				);
			});
			this.#last = this.#queued;
		}
		return this.#queued;
	}

	async #pass(): Promise<void> {
		const { service, config } = this.#options;
		const { finished, openBytes } = filesOnDisk(service.list(), (job) => service.files(job.id));
		const now = this.#options.now?.() ?? Date.now();
		const planned = planDeletions(finished, openBytes, config, now);
		const deleted = new Set<string>();
		for (const deletion of planned) {
			if (await this.#delete(deletion)) deleted.add(deletion.file.id);
		}
		if (config.minFreeBytes > 0) await this.#keepFloor(finished.filter((entry) => !deleted.has(entry.file.id)));
	}

	/**
	 * Deletes the oldest files left while the disk is under its floor; stops the recordings if that is
	 * not enough. Once they are stopped, the files their stop finalized are kept: deleting them to
	 * start again would only record over them, and the next stop would lose those too.
	 */
	async #keepFloor(left: readonly RetainedFile[]): Promise<void> {
		const { service, config, recordingsRoot } = this.#options;
		const floor = config.minFreeBytes;
		let free = await this.#freeBytes(recordingsRoot);
		for (const entry of this.#suspended ? [] : left) {
			if (free >= floor) break;
			await this.#delete({ ...entry, rule: 'minFreeBytes' });
			free = await this.#freeBytes(recordingsRoot);
		}
		if (free < floor && !this.#suspended) {
			const reason = `disk full: ${formatBytes(free)} free, floor ${formatBytes(floor)}`;
			this.#suspended = true;
			this.#logger.error({ event: 'retention.suspended', free, floor }, `recordings stopped: ${reason}`);
			await service.suspend(reason);
		} else if (free >= floor && this.#suspended) {
			this.#suspended = false;
			this.#logger.info({ event: 'retention.resumed', free, floor }, 'space is back: recordings start again');
			await service.resume();
		}
	}

	/** Deletes one file through the service; false (and a warning) when it could not. */
	async #delete({ job, file, rule }: Deletion): Promise<boolean> {
		try {
			await this.#options.service.removeFile(job.id, file.id, `retention: ${rule}`);
		} catch (error) {
			this.#logger.warn(
				{ event: 'retention.failed', job: job.id, path: file.path, rule, error: (error as Error).message },
				`retention could not delete ${file.path}`,
			);
			return false;
		}
		this.#logger.info(
			{ event: 'retention.deleted', job: job.id, path: file.path, bytes: file.bytes, rule },
			`deleted ${file.path} (${rule})`,
		);
		// A folder the path template made for the file goes with its last file (rmdir refuses a non-empty one).
		const folder = dirname(file.path);
		if (folder.startsWith(`${this.#options.recordingsRoot}${sep}`)) await rmdir(folder).catch(() => {});
		return true;
	}
}

/** Bytes as people read them on a disk: MiB or GiB with one decimal. */
const formatBytes = (bytes: number): string =>
	bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
