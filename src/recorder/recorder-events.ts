/**
 * What the recorder tells the rest of the server: files opened and closed, jobs changing state.
 * Logs, metrics, webhooks and retention all listen here rather than to the recordings themselves,
 * so a recording knows nothing of who watches it.
 */

import { type Logger, logFailure, silentLogger } from '../core/logger.ts';
import type { RecordingJob } from './recording-job.ts';
import type { RecordedFile } from './recording-spec.ts';

export type RecorderEvent =
	/** A file was opened (its path is provisional until it completes). */
	| { readonly type: 'file.started'; readonly job: RecordingJob; readonly file: RecordedFile }
	/** A file is final on disk: closed normally, or repaired at start-up after a crash (`state: 'recovered'`). */
	| { readonly type: 'file.completed'; readonly job: RecordingJob; readonly file: RecordedFile }
	/** A file could not be finished (`file.error` says why); what it holds is kept as `.part` or repaired at start-up. */
	| { readonly type: 'file.failed'; readonly job: RecordingJob; readonly file: RecordedFile }
	/** A finished file was deleted from disk and from the job's list; `reason` says by whom (retention's rule, or the API). */
	| { readonly type: 'file.deleted'; readonly job: RecordingJob; readonly file: RecordedFile; readonly reason: string }
	/** A job's state or reason changed. */
	| { readonly type: 'job.state'; readonly job: RecordingJob };

export type RecorderEventListener = (event: RecorderEvent) => void;

/** The recorder's event channel: listeners are called in order, and one that throws cannot stop the others. */
export class RecorderEvents {
	readonly #listeners = new Set<RecorderEventListener>();
	readonly #logger: Logger;

	/** A listener that throws is logged on `logger`. */
	constructor(logger: Logger = silentLogger) {
		this.#logger = logger;
	}

	/** Returns the unsubscribe. */
	on(listener: RecorderEventListener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	emit(event: RecorderEvent): void {
		for (const listener of this.#listeners) {
			try {
				listener(event);
			} catch (error) {
				logFailure(
					this.#logger,
					{ event: 'recorder.listener_failed', type: event.type },
					'a recorder event listener',
					error,
				);
			}
		}
	}

	/** The event a file's state means when it is saved: opened, final, or failed. */
	static ofFile(job: RecordingJob, file: RecordedFile): RecorderEvent {
		if (file.state === 'writing') return { type: 'file.started', job, file };
		if (file.state === 'failed') return { type: 'file.failed', job, file };
		return { type: 'file.completed', job, file };
	}
}
