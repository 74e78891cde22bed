import { mkdirSync } from 'node:fs';
import { TapedeckError } from '../core/errors.ts';
import { type BuiltInModule, maskSecretsIn } from '../core/input-spec.ts';
import { type Logger, logFailure, silentLogger } from '../core/logger.ts';
import type { StreamKey } from '../core/stream-hub.ts';
import { newObjectId, randomToken } from '../store/object-id.ts';
import { type RecoveryReport, recoverFiles } from './crash-recovery.ts';
import { JobInputs } from './job-inputs.ts';
import { JobQueue } from './job-queue.ts';
import { JobRuns } from './job-runs.ts';
import { type JobStats, jobStats } from './job-stats.ts';
import { RecorderEvents } from './recorder-events.ts';
import type { RecordedFile } from './recording.ts';
import { deleteRecordedFile } from './recording-files.ts';
import { type JobSettings, type JobStore, jobOf, type RecordingJob, type SettingsChange } from './recording-job.ts';
import type { RecordingServiceOptions } from './recording-service-options.ts';

export type { RecordingServiceOptions } from './recording-service-options.ts';

/**
 * The one façade every API dialect calls: jobs are created, changed, started, stopped and removed
 * here, persisted in the job store, and run as Recordings fed by their own input (if any). A dialect
 * only translates its requests and responses; errors are TapedeckErrors each dialect maps once.
 *
 * The operations on one job run one at a time (JobQueue), and each answers only once its change is
 * durable (the store's `synced()`), with the job as it was then.
 */
export class RecordingService {
	readonly #options: RecordingServiceOptions;
	readonly #store: JobStore;
	readonly #runs: JobRuns;
	readonly #logger: Logger;
	readonly #queue = new JobQueue();
	/** Set while runs are suspended (see `suspend`): the reason every job shows. */
	#suspended: string | undefined;
	readonly #inputs: JobInputs;
	/** Files started, completed and failed, and job state changes, for logs, metrics, webhooks and retention. */
	readonly events: RecorderEvents;

	constructor(options: RecordingServiceOptions) {
		this.#options = options;
		this.#store = options.store;
		this.#logger = options.logger ?? silentLogger;
		this.#inputs = new JobInputs({ ...options, logger: this.#logger });
		this.events = new RecorderEvents(this.#logger);
		this.#runs = new JobRuns(options, this.#inputs, this.#logger, {
			saveFile: (jobId, file) => this.#saveFile(jobId, file),
			setState: (jobId, state, reason) => this.#setState(jobId, state, reason),
		});
		mkdirSync(options.recordingsRoot, { recursive: true });
	}

	/** Start-up: repairs the files a crash left as `.part` (reported), then resumes every active job. */
	async init(): Promise<RecoveryReport> {
		const report = await recoverFiles(this.#store, this.#options.recordingsRoot);
		for (const { jobId, file } of report.changedFiles) this.#saveFile(jobId, file);
		await this.#startActive();
		return report;
	}

	list(dialect?: string): RecordingJob[] {
		return this.#store.all().filter((job) => dialect === undefined || job.dialect === dialect);
	}

	get(id: string): RecordingJob {
		const job = this.#store.get(id);
		if (!job) throw new TapedeckError('not_found', `no recording with id "${id}"`);
		return job;
	}

	/** A job's files in the order they were opened; `offset`/`limit` page a long list. */
	files(id: string, page: { readonly offset?: number; readonly limit?: number } = {}): RecordedFile[] {
		this.get(id);
		const files = this.#store.items(id);
		const offset = page.offset ?? 0;
		return page.limit === undefined && offset === 0
			? files
			: files.slice(offset, offset + (page.limit ?? files.length));
	}

	fileCount(id: string): number {
		return this.#store.itemCount(id);
	}

	findByName(name: string, dialect?: string): RecordingJob | undefined {
		return this.list(dialect).find((job) => job.name === name);
	}

	/** The built-in listeners inputs may name. */
	get modules(): readonly BuiltInModule[] {
		return this.#inputs.modules;
	}

	/** Whether a publisher is pushing `key` now (Huawei's START records only a stream being pushed). */
	isLive(key: StreamKey): boolean {
		return this.#options.registry.get(key)?.live ?? false;
	}

	async create(settings: JobSettings, id: string = newObjectId()): Promise<RecordingJob> {
		return this.#queue.run(id, async () => {
			if (this.#store.get(id)) throw new TapedeckError('conflict', `a recording with id "${id}" already exists`);
			const key = this.#validate(settings, id);
			const job = jobOf(settings, key, { id, createdAt: new Date().toISOString(), transactionId: randomToken(16) });
			// Stored before anything starts: a job the store refused must not run unseen.
			this.#store.put(job);
			if (job.active) await this.#startRun(job);
			return this.#durable(id);
		});
	}

	/** Replaces a job's settings (computed from the job as it is then); a running job restarts with them, its files kept. */
	async update(id: string, change: SettingsChange): Promise<RecordingJob> {
		return this.#queue.run(id, async () => {
			const current = this.get(id);
			const settings = typeof change === 'function' ? change(current) : change;
			const key = this.#validate(settings, id);
			await this.#stopRun(id, { lastSequence: true });
			const job = jobOf(settings, key, current);
			// Stored before anything starts: a job the store refused must not run unseen.
			this.#store.put(job);
			if (job.active) await this.#startRun(job);
			return this.#durable(id);
		});
	}

	async start(id: string): Promise<RecordingJob> {
		return this.#queue.run(id, async () => {
			const job = this.get(id);
			if (!this.#runs.has(id)) {
				this.#save({ ...job, active: true, modifiedAt: new Date().toISOString() });
				await this.#startRun(this.get(id));
			}
			return this.#durable(id);
		});
	}

	/** Finalizes the open file and marks the job inactive; idempotent. */
	async stop(id: string): Promise<RecordingJob> {
		return this.#queue.run(id, async () => {
			this.get(id);
			await this.#stopRun(id, { lastSequence: true });
			this.#save({ ...this.get(id), active: false, modifiedAt: new Date().toISOString() });
			return this.#durable(id);
		});
	}

	/** Stops and forgets the job; its files stay on disk. */
	async remove(id: string): Promise<void> {
		await this.#queue.run(id, async () => {
			this.get(id);
			await this.#stopRun(id, { lastSequence: true });
			this.#store.delete(id);
			await this.#durable();
		});
	}

	/** Deletes one finished file of a job (from disk and from the job's list); `reason` goes in the `file.deleted` event. */
	async removeFile(id: string, fileId: string, reason = 'deleted through the API'): Promise<void> {
		await this.#queue.run(id, async () => {
			const job = this.get(id);
			const file = this.#store.item(id, fileId);
			if (!file) throw new TapedeckError('not_found', `recording "${id}" has no file with id "${fileId}"`);
			if (file.state === 'writing') {
				throw new TapedeckError('conflict', `file "${fileId}" is being written; stop the recording first`);
			}
			await deleteRecordedFile(this.#options.recordingsRoot, file.path);
			this.#store.deleteItem(id, fileId);
			await this.#durable();
			this.events.emit({ type: 'file.deleted', job: { ...job }, file: { ...file }, reason });
		});
	}

	/** Stops every run (files finalized) and holds new ones, each job in `error` with `reason`; active jobs stay active. */
	async suspend(reason: string): Promise<void> {
		this.#suspended = reason;
		await this.#stopAll((id) => this.#setState(id, 'error', reason));
	}

	/** Lifts `suspend()`: every active job starts again. */
	async resume(): Promise<void> {
		if (this.#suspended === undefined) return;
		this.#suspended = undefined;
		await this.#startActive();
	}

	stats(id: string): JobStats {
		const job = this.get(id);
		return jobStats(job, this.#runs.recording(id), this.#options.registry.get(job.key)?.publisherStats());
	}

	/** SIGTERM: finalizes every open file; active jobs stay active and resume at the next start. */
	async shutdown(): Promise<void> {
		await this.#stopAll();
	}

	/** Finalizes every run's files (the jobs stay active), then `stopped(id)` for each. */
	async #stopAll(stopped: (id: string) => void = () => {}): Promise<void> {
		const stop = async (id: string) => {
			await this.#stopRun(id, { lastSequence: false });
			stopped(id);
		};
		await Promise.all(this.#runs.ids().map((id) => this.#queue.run(id, () => stop(id))));
		await this.#durable();
	}

	/** Starts every active job; one that cannot start (its state not saved on a full disk) stays in `error`. */
	async #startActive(): Promise<void> {
		for (const { id, active } of this.#store.all()) {
			if (!active) continue;
			await this.#queue
				.run(id, () => this.#startRun(this.get(id)))
				.catch((error: unknown) => this.#setState(id, 'error', (error as Error).message));
		}
		await this.#durable();
	}

	/** Checks everything a run will need; returns the bus stream the job records. */
	#validate(settings: JobSettings, id: string): StreamKey {
		const other = this.findByName(settings.name, settings.dialect);
		if (other && other.id !== id) {
			throw new TapedeckError('conflict', `a recording named "${settings.name}" already exists (id ${other.id})`);
		}
		return this.#inputs.checked(settings, id, this.#options.recordingsRoot);
	}

	async #startRun(stored: RecordingJob): Promise<void> {
		if (this.#runs.has(stored.id)) return;
		if (this.#suspended !== undefined) return this.#setState(stored.id, 'error', this.#suspended);
		const job: RecordingJob = { ...stored, transactionId: randomToken(16), state: 'ready', reason: 'starting' };
		this.#save(job);
		await this.#runs.start(job);
	}

	#stopRun(id: string, options: { lastSequence: boolean }): Promise<void> {
		return this.#runs.stop(id, options);
	}

	#setState(id: string, state: RecordingJob['state'], reason: string): void {
		const job = this.#store.get(id);
		if (!job) return;
		job.state = state;
		// Reasons are shown by every API: an input's error may quote its URL with a password in it.
		job.reason = maskSecretsIn(reason, job.input);
		try {
			this.#store.put(job);
		} catch (error) {
			// A run's own event: nobody to answer, so the log says it (the next change retries the save).
			logFailure(this.#logger, { event: 'store.failed', job: id }, 'saving the job state', error);
		}
		this.events.emit({ type: 'job.state', job: { ...job } });
	}

	/** Waits for the store's group commit; the job as it is then (a failed commit is the caller's error). */
	async #durable(): Promise<undefined>;
	async #durable(id: string): Promise<RecordingJob>;
	async #durable(id?: string): Promise<RecordingJob | undefined> {
		await this.#store.synced();
		return id === undefined ? undefined : { ...this.get(id) };
	}

	/** Saves a change asked through the API: a store that cannot take it fails the request. */
	#save(job: RecordingJob): void {
		this.#store.put(job);
	}

	/** Saves a file of a job still in the store (a run's late event after a remove is dropped). */
	#saveFile(jobId: string, file: RecordedFile): void {
		const job = this.#store.get(jobId);
		if (!job) return;
		try {
			this.#store.putItem(jobId, file);
		} catch (error) {
			logFailure(this.#logger, { event: 'store.failed', job: jobId, path: file.path }, 'saving the file', error);
		}
		this.events.emit(RecorderEvents.ofFile({ ...job }, { ...file }));
	}
}
