/**
 * Tells other systems what the recorder did: each recorder event becomes one webhook event (one id,
 * one body), saved in the outbox for every configured endpoint that wants its type, then delivered
 * to each in order, at least once (receivers dedupe by `X-Tapedeck-Event-Id`). A completed file
 * also runs the configured program. Subscribe before the recording service's start-up, so the files
 * it repairs after a crash are announced too.
 */

import type { WebhookEndpointConfig, WebhooksConfig } from '../../config/operations-config.ts';
import { TapedeckError } from '../../core/errors.ts';
import { maskUrl } from '../../core/input-spec.ts';
import { type Logger, silentLogger } from '../../core/logger.ts';
import type { RecorderEvent, RecorderEvents } from '../../recorder/recorder-events.ts';
import { type DeliveryClock, EndpointDelivery } from './endpoint-delivery.ts';
import { FileCompletedCommand } from './file-completed-command.ts';
import { postWebhook, type SendWebhook } from './post-webhook.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType, webhookEventOf } from './webhook-event.ts';
import { openWebhookOutbox, outboxEndpointId, type WebhookOutbox } from './webhook-outbox.ts';

export type WebhooksOptions = {
	readonly config: WebhooksConfig;
	/** The outbox is `<dataDir>/outbox/`. */
	readonly dataDir: string;
	/** Files' paths are sent relative to it too. */
	readonly recordingsRoot: string;
	readonly logger?: Logger;
	/** Tests: how attempts wait, their jitter, and how they are sent. */
	readonly clock?: DeliveryClock;
	readonly random?: () => number;
	readonly send?: (endpoint: WebhookEndpointConfig) => SendWebhook;
};

/** How long `stop()` lets deliveries and programs finish by default: a shutdown must not hang on a receiver. */
const STOP_GRACE_MS = 2000;

type Endpoint = {
	/** As logs and counts show it: a password in it masked. */
	readonly url: string;
	readonly delivery: EndpointDelivery;
	readonly wants: ReadonlySet<string> | undefined;
};

export class Webhooks {
	readonly #options: WebhooksOptions;
	readonly #logger: Logger;
	readonly #outbox: WebhookOutbox | undefined;
	readonly #endpoints: Endpoint[] = [];
	readonly #command: FileCompletedCommand | undefined;
	#unsubscribe: (() => void) | undefined;

	/** Checks the configuration (a TapedeckError naming the key) and opens the outbox when there are endpoints. */
	constructor(options: WebhooksOptions) {
		this.#options = options;
		this.#logger = options.logger ?? silentLogger;
		const { config } = options;
		const ids = config.endpoints.map((endpoint, index) => checkEndpoint(endpoint, index, config.endpoints));
		if (ids.length) {
			const outbox = openWebhookOutbox(options.dataDir);
			this.#outbox = outbox;
			this.#discardUnconfigured(outbox, ids);
			config.endpoints.forEach((endpoint, index) => {
				this.#endpoints.push({
					url: maskUrl(endpoint.url),
					delivery: this.#deliveryOf(endpoint, ids[index] as string, outbox),
					wants: wantsOf(endpoint),
				});
			});
		}
		if (config.onFileCompleted !== undefined) {
			this.#command = new FileCompletedCommand({
				program: config.onFileCompleted,
				timeoutMs: config.commandTimeoutMs,
				logger: this.#logger,
			});
		}
	}

	/** Listens to the recorder and starts delivering (what the outbox kept from the last run first). */
	start(events: RecorderEvents): void {
		if (!this.#endpoints.length && !this.#command) return;
		this.#unsubscribe ??= events.on((event) => this.#publish(event));
		for (const { delivery } of this.#endpoints) delivery.start();
	}

	/** Per endpoint URL: events delivered and dropped since the start, and waiting now. */
	counts(): Array<{ readonly url: string } & EndpointDelivery['counts']> {
		return this.#endpoints.map(({ url, delivery }) => ({ url, ...delivery.counts }));
	}

	/**
	 * Stops listening, gives deliveries and programs `graceMs` to finish, then stops them: what is
	 * undelivered stays in the outbox for the next start.
	 */
	async stop(graceMs = STOP_GRACE_MS): Promise<void> {
		this.#unsubscribe?.();
		const finished = Promise.all([...this.#endpoints.map(({ delivery }) => delivery.idle()), this.#command?.idle()]);
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
		clearTimeout(timer);
		await Promise.all([...this.#endpoints.map(({ delivery }) => delivery.stop()), this.#command?.stop()]);
		await this.#outbox?.close();
	}

	#publish(event: RecorderEvent): void {
		const body = webhookEventOf(event, this.#options.recordingsRoot, new Date());
		const entry = { id: body.id, type: body.type, body: JSON.stringify(body) };
		for (const { delivery, wants } of this.#endpoints) if (!wants || wants.has(event.type)) delivery.add(entry);
		if (event.type === 'file.completed') this.#command?.run(body);
	}

	#deliveryOf(endpoint: WebhookEndpointConfig, id: string, outbox: WebhookOutbox): EndpointDelivery {
		const { config } = this.#options;
		return new EndpointDelivery({
			id,
			url: endpoint.url,
			outbox,
			send: (this.#options.send ?? ((e) => postWebhook(e, config.timeoutMs)))(endpoint),
			retry: { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs },
			maxPending: config.maxPendingEvents,
			logger: this.#logger,
			...(this.#options.clock ? { clock: this.#options.clock } : {}),
			...(this.#options.random ? { random: this.#options.random } : {}),
		});
	}

	/** Events kept for an endpoint no longer configured have nobody to go to. */
	#discardUnconfigured(outbox: WebhookOutbox, ids: readonly string[]): void {
		for (const { id } of outbox.all()) {
			if (ids.includes(id)) continue;
			const events = outbox.itemCount(id);
			outbox.delete(id);
			this.#logger.warn(
				{ event: 'webhook.discarded', endpointId: id, events },
				`webhook outbox: ${events} undelivered events of an endpoint no longer configured discarded`,
			);
		}
	}
}

/** The endpoint's outbox id; a TapedeckError naming the key when its settings cannot work. */
const checkEndpoint = (
	endpoint: WebhookEndpointConfig,
	index: number,
	all: readonly WebhookEndpointConfig[],
): string => {
	const key = `webhooks.endpoints[${index}]`;
	let url: URL;
	try {
		url = new URL(endpoint.url);
	} catch {
		throw new TapedeckError('invalid_argument', `${key}.url: not a URL: "${endpoint.url}"`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new TapedeckError('invalid_argument', `${key}.url: must be http or https, got "${url.protocol}"`);
	}
	if (!endpoint.secret) throw new TapedeckError('invalid_argument', `${key}.secret: required to sign each body`);
	if (all.findIndex((other) => other.url === endpoint.url) !== index) {
		throw new TapedeckError('invalid_argument', `${key}.url: the same URL is configured twice`);
	}
	for (const type of endpoint.events ?? []) {
		if (!WEBHOOK_EVENT_TYPES.includes(type as WebhookEventType)) {
			throw new TapedeckError(
				'invalid_argument',
				`${key}.events: unknown event "${type}"; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
			);
		}
	}
	return outboxEndpointId(endpoint.url);
};

const wantsOf = (endpoint: WebhookEndpointConfig): ReadonlySet<string> | undefined =>
	endpoint.events ? new Set(endpoint.events) : undefined;
