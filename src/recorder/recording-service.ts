import { mkdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { type BuiltInModule, builtInProtocolOf, findBuiltInModule } from '../../ingest/built-in-module.ts';
import { createInput, type InputAdmission, type InputSpec } from '../../ingest/create-input.ts';
import type { StreamRegistry } from '../bus/stream-registry.ts';
import { TapedeckError } from '../core/errors.ts';
import type { IngestSource, PublisherStats, StreamKey } from '../core/stream-hub.ts';
import type { Sink } from '../sink/sink.ts';
import type { JournalStore } from '../store/journal-store.ts';
import { newObjectId, randomToken } from '../store/object-id.ts';
import { type RecoveryReport, recoverFiles } from './crash-recovery.ts';
import { PathTemplate } from './path-template.ts';
import { type RecordedFile, Recording, type RecordingState } from './recording.ts';
import type { JobSettings, RecordingJob } from './recording-job.ts';
import { SplitPolicy } from './split-policy.ts';
import { TrackFilter } from './track-filter.ts';

export type RecordingServiceOptions = {
	readonly registry: StreamRegistry;
	readonly store: JournalStore<RecordingJob>;
	/** Every file path is confined to this folder. */
	readonly recordingsRoot: string;
	/** Address a recording's own listeners bind when the input names none. */
	readonly listenHost: string;
	readonly log?: (message: string) => void;
	/** Injectable sink factory (tests simulate a full disk with it). */
	readonly openSink?: (path: string) => Sink;
	readonly syncIntervalMs?: number;
	/** The built-in listeners inputs may name (`input_module_id`); none by default. */
	readonly modules?: readonly BuiltInModule[];
	/** Who may publish into a job's own listener, from the credentials its input carries; none: anyone. */
	readonly inputAdmission?: (input: InputSpec) => InputAdmission;
};

/** Live figures of one job (Callaba's getStat, OME's record stats). */
export type JobStats = {
	readonly id: string;
	readonly state: RecordingState;
	readonly reason: string;
	/** Input bitrate over the last seconds, kbit/s. */
	readonly bitrateKbps: number;
	readonly packets: number;
	readonly bytes: number;
	readonly droppedPackets: number;
	readonly lastPacketAt: string | undefined;
	readonly currentFile: RecordedFile | undefined;
	/**
	 * The connection publishing the job's stream now, when its protocol reports figures (SRT: RTT,
	 * loss, retransmissions, drops, bitrate, buffer delay), whichever input feeds it: the job's own
	 * listener or caller, or a built-in listener. Undefined while nothing publishes.
	 */
	readonly input: { readonly protocol: string; readonly stats: PublisherStats } | undefined;
};

type Run = { readonly recording: Recording; readonly source: IngestSource | undefined };

/**
 * The one façade every API dialect calls: jobs are created, changed, started, stopped and removed
 * here, persisted in the job store, and run as Recordings fed by their own input (if any). A dialect
 * only translates its requests and responses; errors are TapedeckErrors each dialect maps once.
 */
export class RecordingService {
	readonly #options: RecordingServiceOptions;
	readonly #store: JournalStore<RecordingJob>;
	readonly #runs = new Map<string, Run>();
	readonly #log: (message: string) => void;
	/** Per job, the start/stop/update in progress: they run one at a time. */
	readonly #locks = new Map<string, Promise<unknown>>();

	constructor(options: RecordingServiceOptions) {
		this.#options = options;
		this.#store = options.store;
		this.#log = options.log ?? (() => {});
		mkdirSync(options.recordingsRoot, { recursive: true });
	}

	/**
	 * Start-up: repairs the files a crash left as `.part` (reported), then resumes every active job.
	 */
	async init(): Promise<RecoveryReport> {
		const report = await recoverFiles(this.#store.all(), this.#options.recordingsRoot);
		for (const job of report.changedJobs) this.#save(job);
		for (const job of this.#store.all()) {
			if (job.active) await this.#locked(job.id, () => this.#startRun(job));
		}
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

	findByName(name: string, dialect?: string): RecordingJob | undefined {
		return this.list(dialect).find((job) => job.name === name);
	}

	/** The built-in listeners inputs may name. */
	get modules(): readonly BuiltInModule[] {
		return this.#options.modules ?? [];
	}

	/** Whether a publisher is pushing `key` now (Huawei's START records only a stream being pushed). */
	isLive(key: StreamKey): boolean {
		return this.#options.registry.get(key)?.live ?? false;
	}

	async create(settings: JobSettings, id: string = newObjectId()): Promise<RecordingJob> {
		if (this.#store.get(id)) throw new TapedeckError('conflict', `a recording with id "${id}" already exists`);
		this.#assertUniqueName(settings, id);
		this.#validate(settings);
		const now = new Date().toISOString();
		const job: RecordingJob = {
			...settings,
			id,
			createdAt: now,
			modifiedAt: now,
			transactionId: randomToken(16),
			state: settings.active ? 'ready' : 'stopped',
			reason: settings.active ? 'starting' : 'inactive',
			files: [],
		};
		this.#save(job);
		if (job.active) await this.#locked(id, () => this.#startRun(job));
		await this.#persisted();
		return this.get(id);
	}

	/** Replaces a job's settings; a running job restarts with them (its files are kept). */
	async update(id: string, settings: JobSettings): Promise<RecordingJob> {
		const current = this.get(id);
		this.#assertUniqueName(settings, id);
		this.#validate(settings);
		await this.#locked(id, async () => {
			await this.#stopRun(id, { lastSequence: true });
			const job: RecordingJob = {
				...settings,
				id,
				createdAt: current.createdAt,
				modifiedAt: new Date().toISOString(),
				transactionId: current.transactionId,
				state: settings.active ? 'ready' : 'stopped',
				reason: settings.active ? 'starting' : 'inactive',
				files: this.get(id).files,
			};
			this.#save(job);
			if (job.active) await this.#startRun(job);
		});
		await this.#persisted();
		return this.get(id);
	}

	async start(id: string): Promise<RecordingJob> {
		const job = this.get(id);
		await this.#locked(id, async () => {
			if (this.#runs.has(id)) return;
			this.#save({ ...job, active: true, modifiedAt: new Date().toISOString() });
			await this.#startRun(this.get(id));
		});
		await this.#persisted();
		return this.get(id);
	}

	/** Finalizes the open file and marks the job inactive; idempotent. */
	async stop(id: string): Promise<RecordingJob> {
		this.get(id);
		await this.#locked(id, async () => {
			await this.#stopRun(id, { lastSequence: true });
			const latest = this.get(id);
			this.#save({ ...latest, active: false, modifiedAt: new Date().toISOString() });
		});
		await this.#persisted();
		return this.get(id);
	}

	/** Stops and forgets the job; its files stay on disk. */
	async remove(id: string): Promise<void> {
		this.get(id);
		await this.#locked(id, async () => {
			await this.#stopRun(id, { lastSequence: true });
			this.#store.delete(id);
		});
		await this.#persisted();
	}

	/** Deletes one finished file of a job (from disk and from the job's list). */
	async removeFile(id: string, fileId: string): Promise<void> {
		const job = this.get(id);
		const file = job.files.find((f) => f.id === fileId);
		if (!file) throw new TapedeckError('not_found', `recording "${id}" has no file with id "${fileId}"`);
		if (file.state === 'writing') {
			throw new TapedeckError('conflict', `file "${fileId}" is being written; stop the recording first`);
		}
		await unlink(file.path).catch((error: NodeJS.ErrnoException) => {
			if (error.code !== 'ENOENT') {
				throw new TapedeckError('io', `cannot delete ${file.path}: ${error.message}`, { cause: error });
			}
		});
		const latest = this.get(id);
		this.#save({ ...latest, files: latest.files.filter((f) => f.id !== fileId) });
		await this.#persisted();
	}

	stats(id: string): JobStats {
		const job = this.get(id);
		const recording = this.#runs.get(id)?.recording;
		const stats = recording?.stats;
		return {
			id,
			state: job.state,
			reason: job.reason,
			bitrateKbps: stats?.bitrateKbps ?? 0,
			packets: stats?.packets ?? 0,
			bytes: stats?.bytes ?? 0,
			droppedPackets: stats?.droppedPackets ?? 0,
			lastPacketAt: stats?.lastPacketMs ? new Date(stats.lastPacketMs).toISOString() : undefined,
			currentFile: recording?.currentFile,
			input: this.#options.registry.get(job.key)?.publisherStats(),
		};
	}

	/** SIGTERM: finalizes every open file; active jobs stay active and resume at the next start. */
	async shutdown(): Promise<void> {
		await Promise.all(
			[...this.#runs.keys()].map((id) => this.#locked(id, () => this.#stopRun(id, { lastSequence: false }))),
		);
	}

	#validate(settings: JobSettings): void {
		const root = this.#options.recordingsRoot;
		new PathTemplate(settings.filePath, root);
		if (settings.infoPath !== undefined) new PathTemplate(settings.infoPath, root);
		SplitPolicy.from(settings.split ?? {});
		new TrackFilter(settings.tracks ?? {});
		if (settings.input) this.#sourceFor(settings, settings.input);
	}

	#assertUniqueName(settings: JobSettings, id: string): void {
		const other = this.findByName(settings.name, settings.dialect);
		if (other && other.id !== id) {
			throw new TapedeckError('conflict', `a recording named "${settings.name}" already exists (id ${other.id})`);
		}
	}

	#recordingFor(job: RecordingJob): Recording {
		const root = this.#options.recordingsRoot;
		const nextSequence = job.files.reduce((next, f) => Math.max(next, f.sequence + 1), 0);
		return new Recording(
			{
				id: job.id,
				transactionId: job.transactionId,
				key: job.key,
				streamName: job.streamName,
				format: job.format,
				filePath: new PathTemplate(job.filePath, root),
				...(job.infoPath === undefined ? {} : { infoPath: new PathTemplate(job.infoPath, root) }),
				...(job.split ? { split: job.split } : {}),
				segmentationRule: job.segmentationRule,
				...(job.tracks ? { tracks: job.tracks } : {}),
				...(job.metadata === undefined ? {} : { metadata: job.metadata }),
				createdAt: new Date(job.createdAt),
				firstSequence: nextSequence,
			},
			{
				registry: this.#options.registry,
				observer: {
					fileOpened: (file) => this.#mutate(job.id, (j) => j.files.push(file)),
					fileClosed: (file) =>
						this.#mutate(job.id, (j) => {
							j.files = j.files.map((f) => (f.id === file.id ? file : f));
						}),
					stateChanged: (state, reason) =>
						this.#mutate(job.id, (j) => {
							j.state = state;
							j.reason = reason;
						}),
				},
				...(this.#options.openSink ? { openSink: this.#options.openSink } : {}),
				...(this.#options.syncIntervalMs ? { syncIntervalMs: this.#options.syncIntervalMs } : {}),
			},
		);
	}

	/**
	 * The job's own input, or undefined for one that names a built-in listener (which must exist): the
	 * recording then subscribes to the stream that listener publishes.
	 */
	#sourceFor(settings: JobSettings, input: InputSpec): IngestSource | undefined {
		if (builtInProtocolOf(input)) {
			findBuiltInModule(input, this.modules);
			return undefined;
		}
		const registry = this.#options.registry;
		return createInput(input, registry.publisher(settings.key, input.input_type), {
			hub: registry,
			key: settings.key,
			listenHost: this.#options.listenHost,
			log: (message) => this.#log(`recording "${settings.name}": ${message}`),
			...(this.#options.inputAdmission ? { admission: this.#options.inputAdmission(input) } : {}),
		});
	}

	async #startRun(stored: RecordingJob): Promise<void> {
		if (this.#runs.has(stored.id)) return;
		const job: RecordingJob = { ...stored, transactionId: randomToken(16), state: 'ready', reason: 'starting' };
		this.#save(job);
		let recording: Recording;
		let source: IngestSource | undefined;
		try {
			recording = this.#recordingFor(job);
			source = job.input ? this.#sourceFor(job, job.input) : undefined;
		} catch (error) {
			this.#mutate(job.id, (j) => {
				j.state = 'error';
				j.reason = (error as Error).message;
			});
			return;
		}
		this.#runs.set(job.id, { recording, source });
		recording.start();
		try {
			await source?.start();
		} catch (error) {
			recording.fail(error);
		}
		if (recording.state === 'ready') {
			this.#mutate(job.id, (j) => {
				j.state = 'ready';
				j.reason = source ? `waiting for stream on ${source.description}` : this.#waitingReason(job, recording);
			});
		}
	}

	/** Why a job without an input of its own waits: its stream, and the built-in listener it comes through. */
	#waitingReason(job: RecordingJob, recording: Recording): string {
		if (!job.input || !builtInProtocolOf(job.input)) return recording.reason;
		const module = findBuiltInModule(job.input, this.modules);
		return `${recording.reason} on built-in listener "${module.id}" (${module.url})`;
	}

	async #stopRun(id: string, options: { lastSequence: boolean }): Promise<void> {
		const run = this.#runs.get(id);
		if (!run) return;
		this.#runs.delete(id);
		await run.source
			?.stop()
			.catch((error: unknown) => this.#log(`stopping input of ${id}: ${(error as Error).message}`));
		await run.recording.stop(options);
	}

	#mutate(id: string, change: (job: RecordingJob) => void): void {
		const job = this.#store.get(id);
		if (!job) return;
		change(job);
		this.#save(job);
	}

	/** Waits for the store's group commit, so a change is acknowledged only once it is on disk. */
	#persisted(): Promise<void> {
		return this.#store
			.synced()
			.catch((error: unknown) => this.#log(`job store not synced: ${(error as Error).message}`));
	}

	#save(job: RecordingJob): void {
		try {
			this.#store.put(job);
		} catch (error) {
			this.#log(`job ${job.id} not saved: ${(error as Error).message}`);
		}
	}

	/** Runs `task` after the job's previous start/stop/update finished. */
	#locked<T>(id: string, task: () => Promise<T>): Promise<T> {
		const previous = this.#locks.get(id) ?? Promise.resolve();
		const next = previous.then(task, task);
		const settled = next.catch(() => {});
		this.#locks.set(id, settled);
		void settled.then(() => {
			if (this.#locks.get(id) === settled) this.#locks.delete(id);
		});
		return next;
	}
}
