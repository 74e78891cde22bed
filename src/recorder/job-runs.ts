/**
 * The jobs running now: one Recording per job, fed by the job's own input when it has one.
 * RecordingService decides when a job runs (its queue, the store, suspension); this starts a run and
 * stops it, and reports files and states through the hooks it is given.
 */
import { type Logger, logFailure } from '../core/logger.ts';
import type { IngestSource } from '../core/stream-hub.ts';
import type { JobInputs } from './job-inputs.ts';
import { recordingOf } from './job-recording.ts';
import type { RecordedFile, Recording } from './recording.ts';
import type { JobStore, RecordingJob } from './recording-job.ts';
import type { RecordingServiceOptions } from './recording-service-options.ts';

export type RunHooks = {
	readonly saveFile: (jobId: string, file: RecordedFile) => void;
	readonly setState: (jobId: string, state: RecordingJob['state'], reason: string) => void;
};

type Run = { readonly recording: Recording; readonly source: IngestSource | undefined };

export class JobRuns {
	readonly #runs = new Map<string, Run>();
	readonly #options: RecordingServiceOptions;
	readonly #inputs: JobInputs;
	readonly #store: JobStore;
	readonly #logger: Logger;
	readonly #hooks: RunHooks;

	constructor(options: RecordingServiceOptions, inputs: JobInputs, logger: Logger, hooks: RunHooks) {
		this.#options = options;
		this.#inputs = inputs;
		this.#store = options.store;
		this.#logger = logger;
		this.#hooks = hooks;
	}

	has(id: string): boolean {
		return this.#runs.has(id);
	}

	ids(): string[] {
		return [...this.#runs.keys()];
	}

	recording(id: string): Recording | undefined {
		return this.#runs.get(id)?.recording;
	}

	/** Starts the job's recording and input; a run that cannot start leaves the job in `error` with why. */
	async start(job: RecordingJob): Promise<void> {
		let recording: Recording;
		let source: IngestSource | undefined;
		try {
			const saveFile = (file: RecordedFile) => this.#hooks.saveFile(job.id, file);
			recording = recordingOf(
				job,
				this.#store.items(job.id),
				this.#options,
				{
					fileOpened: saveFile,
					fileClosed: saveFile,
					stateChanged: (state, reason) => this.#hooks.setState(job.id, state, reason),
				},
				this.#logger.child({ job: job.id }),
			);
			source = this.#inputs.sourceOf(job.name, job.key, job.input);
		} catch (error) {
			this.#hooks.setState(job.id, 'error', (error as Error).message);
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
			const reason = source
				? `waiting for stream on ${source.description}`
				: this.#inputs.waitingReason(job, recording.reason);
			this.#hooks.setState(job.id, 'ready', reason);
		}
	}

	/** Stops the job's input, then finalizes its recording's open file. */
	async stop(id: string, options: { lastSequence: boolean }): Promise<void> {
		const run = this.#runs.get(id);
		if (!run) return;
		this.#runs.delete(id);
		await run.source
			?.stop()
			.catch((error) => logFailure(this.#logger, { event: 'input.failed', job: id }, 'stopping the input', error));
		await run.recording.stop(options);
	}
}
