/**
 * Delivers one endpoint's events in the order they happened: the oldest undelivered event is sent
 * until the receiver takes it (a 2xx), and only then the next, so a receiver that was down gets
 * everything it missed, in order. Each failure in a row waits longer (exponential back-off with
 * jitter, capped). The queue is the endpoint's part of the outbox; it is bounded: past
 * `maxPending`, the oldest events are dropped, counted and logged, so a receiver gone for good
 * costs a bounded disk and memory, never an ever-growing journal.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { maskUrl } from '../../core/input-spec.ts';
import type { Logger } from '../../core/logger.ts';
import { backoffDelayMs } from '../../recorder/retry-backoff.ts';
import type { SendWebhook } from './post-webhook.ts';
import type { OutboxEntry, WebhookOutbox } from './webhook-outbox.ts';

/** Waiting between attempts; injectable so a test can stand in for minutes of a receiver's downtime. */
export type DeliveryClock = {
	/** Resolves after `ms`, or as soon as `signal` aborts; never rejects. */
	sleep(ms: number, signal: AbortSignal): Promise<void>;
};

export const systemClock: DeliveryClock = {
	// Unref'd: a retry pending never keeps the process alive.
	sleep: (ms, signal) => delay(ms, undefined, { signal, ref: false }).catch(() => {}),
};

export type RetrySchedule = { readonly initialMs: number; readonly maxMs: number };

/**
 * The wait after `failures` failures in a row (0 for the first): `initialMs` doubled each time up to
 * `maxMs`, then between half and all of it at random, so endpoints that failed together (a network
 * outage) do not all retry at the same instant.
 */
export const retryDelayMs = (failures: number, schedule: RetrySchedule, random: () => number): number =>
	Math.round(backoffDelayMs(failures, schedule.initialMs, schedule.maxMs) * (0.5 + random() / 2));

export type EndpointDeliveryOptions = {
	/** The endpoint's document in the outbox. */
	readonly id: string;
	readonly url: string;
	readonly outbox: WebhookOutbox;
	readonly send: SendWebhook;
	readonly retry: RetrySchedule;
	readonly maxPending: number;
	readonly logger: Logger;
	readonly clock?: DeliveryClock;
	readonly random?: () => number;
};

export class EndpointDelivery {
	readonly #options: EndpointDeliveryOptions;
	/** The URL as logs show it (a password in it masked). */
	readonly #url: string;
	/** The endpoint's undelivered events, oldest first (the outbox's items, mirrored). */
	readonly #queue: OutboxEntry[];
	readonly #abort = new AbortController();
	#failures = 0;
	#delivered = 0;
	#dropped = 0;
	#running: Promise<void> | undefined;
	/** Wakes the loop waiting for an event. */
	#wake: (() => void) | undefined;
	/** Resolves `idle()` once the queue is empty. */
	#emptied: Array<() => void> = [];
	/** Whether the outbox failed to save (logged once; events are still delivered from memory). */
	#outboxFailed = false;

	constructor(options: EndpointDeliveryOptions) {
		this.#options = options;
		this.#url = maskUrl(options.url);
		if (!options.outbox.get(options.id)) options.outbox.put({ id: options.id });
		this.#queue = options.outbox.items(options.id);
		this.#trim();
	}

	/** Events delivered, dropped past the bound, and waiting now. */
	get counts(): { readonly delivered: number; readonly dropped: number; readonly pending: number } {
		return { delivered: this.#delivered, dropped: this.#dropped, pending: this.#queue.length };
	}

	/** Saves `entry` in the outbox (before any attempt) and queues it. */
	add(entry: OutboxEntry): void {
		try {
			this.#options.outbox.putItem(this.#options.id, entry);
		} catch (error) {
			this.#outboxFailure(error, entry);
		}
		this.#queue.push(entry);
		this.#trim();
		this.#wake?.();
	}

	start(): void {
		this.#running ??= this.#run();
	}

	/** Resolves once every queued event is delivered (or dropped). */
	idle(): Promise<void> {
		if (this.#queue.length === 0) return Promise.resolve();
		return new Promise((resolve) => this.#emptied.push(resolve));
	}

	/** Stops at once: an attempt in flight is abandoned, and what is undelivered stays in the outbox. */
	async stop(): Promise<void> {
		this.#abort.abort();
		this.#wake?.();
		await this.#running;
	}

	async #run(): Promise<void> {
		const { signal } = this.#abort;
		while (!signal.aborted) {
			const entry = this.#queue[0];
			if (!entry) {
				for (const resolve of this.#emptied.splice(0)) resolve();
				await new Promise<void>((resolve) => {
					this.#wake = resolve;
				});
				this.#wake = undefined;
				continue;
			}
			// Durable before it leaves: a receiver never hears of an event a crash could forget.
			await this.#options.outbox.synced().catch((error: unknown) => this.#outboxFailure(error, entry));
			const failure = await this.#options.send(entry, signal);
			if (failure === undefined) {
				this.#done(entry);
				continue;
			}
			if (signal.aborted) break;
			const waitMs = retryDelayMs(this.#failures, this.#options.retry, this.#options.random ?? Math.random);
			this.#failures++;
			this.#options.logger.warn(
				{
					event: 'webhook.failed',
					endpoint: this.#url,
					eventId: entry.id,
					type: entry.type,
					attempt: this.#failures,
					reason: failure,
					retryInMs: waitMs,
				},
				`webhook ${entry.type} to ${this.#url} failed (${failure}); retry in ${waitMs} ms`,
			);
			await (this.#options.clock ?? systemClock).sleep(waitMs, signal);
		}
	}

	/** Delivered: out of the queue (unless the bound dropped it meanwhile) and out of the outbox. */
	#done(entry: OutboxEntry): void {
		this.#failures = 0;
		this.#delivered++;
		if (this.#queue[0] === entry) this.#queue.shift();
		this.#remove(entry);
		this.#options.logger.debug(
			{ event: 'webhook.delivered', endpoint: this.#url, eventId: entry.id, type: entry.type },
			`webhook ${entry.type} delivered to ${this.#url}`,
		);
	}

	/** Drops the oldest events past the bound. */
	#trim(): void {
		while (this.#queue.length > this.#options.maxPending) {
			const oldest = this.#queue.shift() as OutboxEntry;
			this.#remove(oldest);
			this.#dropped++;
			this.#options.logger.warn(
				{
					event: 'webhook.dropped',
					endpoint: this.#url,
					eventId: oldest.id,
					type: oldest.type,
					dropped: this.#dropped,
					maxPendingEvents: this.#options.maxPending,
				},
				`webhook ${oldest.type} to ${this.#url} dropped: ${this.#options.maxPending} undelivered events already wait`,
			);
		}
	}

	#remove(entry: OutboxEntry): void {
		try {
			this.#options.outbox.deleteItem(this.#options.id, entry.id);
		} catch (error) {
			this.#outboxFailure(error, entry);
		}
	}

	#outboxFailure(error: unknown, entry: OutboxEntry): void {
		if (this.#outboxFailed) return;
		this.#outboxFailed = true;
		this.#options.logger.error(
			{ event: 'webhook.outbox_failed', endpoint: this.#url, eventId: entry.id, reason: (error as Error).message },
			`webhook outbox cannot be saved (${(error as Error).message}): events are delivered from memory and lost at a restart`,
		);
	}
}
