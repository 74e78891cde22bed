import { type Logger, logFailure, silentLogger } from '../../core/logger.ts';
import type { RecordingJob } from '../../recorder/recording-job.ts';
import type { RecordingService } from '../../recorder/recording-service.ts';

/** Time as the watch sees it; tests pass one they advance by hand. */
export type Clock = {
	now(): number;
	/** Calls `fire` after `ms`; returns the cancel. */
	setTimer(ms: number, fire: () => void): () => void;
};

/** Wall-clock time; its timers never keep the process alive. */
export const systemClock: Clock = {
	now: Date.now,
	setTimer: (ms, fire) => {
		const timer = setTimeout(fire, ms);
		timer.unref();
		return () => clearTimeout(timer);
	},
};

export type InterruptionWatchOptions = {
	/** The dialect whose active jobs are watched. */
	readonly dialect: string;
	/** How long a push may stay interrupted before its recording is stopped for good. */
	readonly limitMs: number;
	readonly clock?: Clock;
	readonly logger?: Logger;
};

/**
 * Huawei's START semantics: "if stream interruption occurs and the interruption duration exceeds the
 * threshold, the recording is stopped and will not be automatically started after stream push
 * resumes". The engine itself keeps a recording waiting across drops (OME and Callaba want that), so
 * this watch listens to the service's state changes: when an active job of its dialect goes back to
 * waiting for its stream, a timer starts; the stream's return cancels it; when it fires, the job stops.
 */
export class InterruptionWatch {
	readonly #service: RecordingService;
	readonly #options: InterruptionWatchOptions;
	readonly #clock: Clock;
	readonly #logger: Logger;
	/** Job id → the cancel of its interruption timer. */
	readonly #timers = new Map<string, () => void>();
	readonly #unsubscribe: () => void;

	constructor(service: RecordingService, options: InterruptionWatchOptions) {
		this.#service = service;
		this.#options = options;
		this.#clock = options.clock ?? systemClock;
		this.#logger = options.logger ?? silentLogger;
		this.#unsubscribe = service.events.on((event) => {
			if (event.type === 'job.state') this.#changed(event.job);
		});
	}

	/** After a START: a job whose stream is already gone starts its timer now. */
	watch(job: RecordingJob): void {
		if (this.#service.isLive(job.key)) this.#cancel(job.id);
		else this.#arm(job);
	}

	close(): void {
		this.#unsubscribe();
		for (const id of [...this.#timers.keys()]) this.#cancel(id);
	}

	#changed(job: RecordingJob): void {
		if (job.dialect !== this.#options.dialect) return;
		if (job.active && job.state === 'ready') this.#arm(job);
		else this.#cancel(job.id);
	}

	#arm(job: RecordingJob): void {
		if (this.#timers.has(job.id)) return;
		const since = this.#clock.now();
		const cancel = this.#clock.setTimer(this.#options.limitMs, () => {
			this.#timers.delete(job.id);
			const interruptedMs = this.#clock.now() - since;
			this.#logger.info(
				{ event: 'job.interrupted', job: job.id, name: job.name, interruptedMs },
				`recording ${job.name}: push interrupted for ${interruptedMs} ms, recording stopped`,
			);
			this.#service.stop(job.id).catch((error: unknown) => {
				logFailure(this.#logger, { event: 'job.stop_failed', job: job.id }, `stopping ${job.name}`, error);
			});
		});
		this.#timers.set(job.id, cancel);
	}

	#cancel(id: string): void {
		this.#timers.get(id)?.();
		this.#timers.delete(id);
	}
}
