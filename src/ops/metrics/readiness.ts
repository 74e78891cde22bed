import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Logger, silentLogger } from '../../core/logger.ts';
import { diskSpace } from './disk-space.ts';

/** A built-in listener as readiness sees it. */
export type ListenerState = { readonly description: string; readonly up: boolean };

export type ReadinessOptions = {
	/** The job store: its folder must be writable and its last group commit must have succeeded. */
	readonly store: { readonly path: string; synced(): Promise<void> };
	readonly recordingsRoot: string;
	/** Free space the recordings disk must keep (`retention.minFreeBytes`). */
	readonly minFreeBytes: number;
	/** The built-in listeners and whether each is up. */
	readonly listeners: () => readonly ListenerState[];
	/** How long a check may take before it counts as failed (a stalled disk never answers). Default 2 s. */
	readonly timeoutMs?: number;
	/** Hears `readiness.changed` when a check's outcome flips (probes every few seconds log nothing more). */
	readonly logger?: Logger;
};

export type ReadinessCheck = {
	readonly name: 'store' | 'listeners' | 'disk';
	readonly ready: boolean;
	readonly message: string;
};

export type ReadinessReport = { readonly ready: boolean; readonly checks: readonly ReadinessCheck[] };

/**
 * Whether the server can take recordings now, as a load balancer or an orchestrator asks it: the job
 * store can save (its folder is writable and no group commit has failed), every built-in listener is
 * up, and the recordings disk is writable with more free space than its floor. Each check says what
 * it found, so a 503 names what is not ready; the log says when the answer changes.
 */
export class Readiness {
	readonly #options: ReadinessOptions;
	/** The last answer, logged when it changes: ready, or what was not. */
	#last = '';

	constructor(options: ReadinessOptions) {
		this.#options = options;
	}

	async check(): Promise<ReadinessReport> {
		const checks = await Promise.all([this.#store(), this.#listeners(), this.#disk()]);
		const ready = checks.every((check) => check.ready);
		this.#logChange(ready, checks);
		return { ready, checks };
	}

	#logChange(ready: boolean, checks: readonly ReadinessCheck[]): void {
		const notReady = checks.filter((check) => !check.ready).map((check) => check.name);
		const answer = ready ? 'ready' : notReady.join(',');
		if (answer === this.#last) return;
		const first = this.#last === '';
		this.#last = answer;
		const logger = this.#options.logger ?? silentLogger;
		if (!ready) {
			const reasons = checks.filter((check) => !check.ready).map((check) => check.message);
			logger.warn({ event: 'readiness.changed', ready, notReady, reasons }, `not ready: ${reasons.join('; ')}`);
		} else if (!first) logger.info({ event: 'readiness.changed', ready, notReady }, 'ready again');
	}

	async #store(): Promise<ReadinessCheck> {
		const { store } = this.#options;
		const problem = await this.#bounded(async () => {
			await access(dirname(store.path), constants.W_OK);
			await store.synced();
		});
		return problem
			? { name: 'store', ready: false, message: `the job store ${store.path} cannot save: ${problem}` }
			: { name: 'store', ready: true, message: `the job store ${store.path} saves` };
	}

	async #listeners(): Promise<ReadinessCheck> {
		const listeners = this.#options.listeners();
		const down = listeners.filter((listener) => !listener.up).map((listener) => listener.description);
		return down.length > 0
			? { name: 'listeners', ready: false, message: `not listening: ${down.join(', ')}` }
			: { name: 'listeners', ready: true, message: `${listeners.length} listening` };
	}

	async #disk(): Promise<ReadinessCheck> {
		const { recordingsRoot, minFreeBytes } = this.#options;
		let freeBytes = 0;
		const problem = await this.#bounded(async () => {
			await access(recordingsRoot, constants.W_OK);
			freeBytes = (await diskSpace(recordingsRoot)).freeBytes;
		});
		if (problem) return { name: 'disk', ready: false, message: `the recordings folder ${recordingsRoot}: ${problem}` };
		const space = `${formatBytes(freeBytes)} free on the recordings disk, floor ${formatBytes(minFreeBytes)} (retention.minFreeBytes)`;
		return freeBytes < minFreeBytes
			? { name: 'disk', ready: false, message: `only ${space}` }
			: { name: 'disk', ready: true, message: space };
	}

	/** Runs `probe` with a time limit; the problem it met, or undefined. */
	async #bounded(probe: () => Promise<void>): Promise<string | undefined> {
		const timeoutMs = this.#options.timeoutMs ?? 2000;
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<string>((resolve) => {
			timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
		});
		try {
			return await Promise.race([probe().then(() => undefined), timeout]);
		} catch (error) {
			return (error as Error).message;
		} finally {
			clearTimeout(timer);
		}
	}
}

/** Bytes in the largest binary unit that keeps a number ≥ 1, for messages. */
const formatBytes = (bytes: number): string => {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
};
