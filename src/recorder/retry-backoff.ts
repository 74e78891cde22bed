/** Longest wait between retries: a cause that lasts (a full disk) is retried once a minute. */
const MAX_WAIT_MS = 60_000;

/** The wait after `failures` failures in a row (0 for the first): `firstMs` doubled each time, at most `maxMs`. */
export const backoffDelayMs = (failures: number, firstMs: number, maxMs: number): number =>
	Math.min(firstMs * 2 ** Math.min(failures, 52), maxMs);

/**
 * When a failed recording tries again: after `firstMs`, doubling on each failure in a row up to a
 * minute, back to `firstMs` after a success. One pending retry at a time; the timer never keeps
 * the process alive.
 */
export class RetryBackoff {
	readonly #firstMs: number;
	#failures = 0;
	#timer: NodeJS.Timeout | undefined;

	constructor(firstMs: number) {
		this.#firstMs = firstMs;
	}

	/** Runs `retry` after the wait this failure earns. */
	schedule(retry: () => void): void {
		clearTimeout(this.#timer);
		const wait = backoffDelayMs(this.#failures, this.#firstMs, MAX_WAIT_MS);
		this.#failures++;
		this.#timer = setTimeout(retry, wait);
		this.#timer.unref();
	}

	/** It worked: the next failure waits the shortest again. */
	succeeded(): void {
		this.#failures = 0;
	}

	cancel(): void {
		clearTimeout(this.#timer);
	}
}
