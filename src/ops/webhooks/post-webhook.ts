/**
 * One delivery attempt: the event's stored body POSTed as it is, signed with the endpoint's secret.
 * `X-Tapedeck-Signature` is `sha256=` and the hex HMAC-SHA256 (RFC 2104, FIPS 180-4) of the raw body,
 * so a receiver checks it on the bytes it read before parsing them. Any 2xx answer is a delivery;
 * anything else, a redirect included, is a failure to retry.
 */
import { createHmac } from 'node:crypto';
import type { WebhookEndpointConfig } from '../../config/operations-config.ts';
import type { OutboxEntry } from './webhook-outbox.ts';

/** Sends one entry; resolves to why it failed, or undefined once the receiver took it. */
export type SendWebhook = (entry: OutboxEntry, signal: AbortSignal) => Promise<string | undefined>;

/** The `X-Tapedeck-Signature` value of `body`. */
export const webhookSignature = (body: string, secret: string): string =>
	`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** What POSTs to `endpoint`, each attempt given `timeoutMs` to be answered. */
export const postWebhook =
	(endpoint: WebhookEndpointConfig, timeoutMs: number): SendWebhook =>
	async (entry, signal) => {
		try {
			const response = await fetch(endpoint.url, {
				method: 'POST',
				redirect: 'manual',
				headers: {
					'content-type': 'application/json',
					'user-agent': 'tapedeck',
					'x-tapedeck-event': entry.type,
					'x-tapedeck-event-id': entry.id,
					'x-tapedeck-timestamp': String(Math.floor(Date.now() / 1000)),
					'x-tapedeck-signature': webhookSignature(entry.body, endpoint.secret),
				},
				body: entry.body,
				signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
			});
			// The answer's body is not needed: dropped, so the connection can serve the next delivery.
			await response.body?.cancel();
			return response.ok ? undefined : `HTTP ${response.status}`;
		} catch (error) {
			return failureOf(error);
		}
	};

/** fetch's errors carry the network cause in `cause` ("connect ECONNREFUSED …", "other side closed") and a timeout by its name. */
const failureOf = (error: unknown): string => {
	if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
	const cause = error instanceof Error ? (error.cause as Error | undefined) : undefined;
	return cause?.message ?? (error instanceof Error ? error.message : String(error));
};
