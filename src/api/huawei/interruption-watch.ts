import type { RecordingService } from '../../recorder/recording-service.ts';

export type InterruptionWatchOptions = {
	/** The dialect whose active jobs are watched. */
	readonly dialect: string;
	/** How long a push may stay interrupted before its recording is stopped for good. */
	readonly limitMs: number;
	readonly checkEveryMs?: number;
	readonly now?: () => number;
	readonly log?: (message: string) => void;
};

/**
 * Huawei's START semantics: "if stream interruption occurs and the interruption duration exceeds the
 * threshold, the recording is stopped and will not be automatically started after stream push
 * resumes". The engine itself keeps a recording waiting across drops (OME and Callaba want that), so
 * this watch stops the dialect's active jobs whose stream has been gone longer than the limit. It
 * polls only while such jobs exist; its timer never keeps the process alive.
 */
export class InterruptionWatch {
	readonly #service: RecordingService;
	readonly #options: InterruptionWatchOptions;
	readonly #now: () => number;
	/** Job id → when its stream was first seen gone. */
	readonly #goneSince = new Map<string, number>();
	#timer: NodeJS.Timeout | undefined;

	constructor(service: RecordingService, options: InterruptionWatchOptions) {
		this.#service = service;
		this.#options = options;
		this.#now = options.now ?? Date.now;
	}

	/** Starts polling (after a START); idempotent. */
	watch(): void {
		if (this.#timer) return;
		this.#timer = setInterval(() => this.check(), this.#options.checkEveryMs ?? 1000);
		this.#timer.unref();
	}

	/** One pass: stops the jobs interrupted past the limit; stops polling when nothing is left to watch. */
	check(): void {
		const active = this.#service.list(this.#options.dialect).filter((job) => job.active);
		if (active.length === 0) {
			clearInterval(this.#timer);
			this.#timer = undefined;
			this.#goneSince.clear();
			return;
		}
		const now = this.#now();
		for (const job of active) {
			if (this.#service.isLive(job.key)) {
				this.#goneSince.delete(job.id);
				continue;
			}
			const since = this.#goneSince.get(job.id) ?? now;
			this.#goneSince.set(job.id, since);
			if (now - since < this.#options.limitMs) continue;
			this.#goneSince.delete(job.id);
			this.#options.log?.(`recording ${job.name}: push interrupted for ${now - since} ms, recording stopped`);
			this.#service.stop(job.id).catch((error: unknown) => {
				this.#options.log?.(`recording ${job.name}: stop failed: ${(error as Error).message}`);
			});
		}
	}
}
