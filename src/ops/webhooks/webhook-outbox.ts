/**
 * The webhooks' durable outbox: the job store's journal (src/store), one document per endpoint and
 * its undelivered events as items, in the order they were added. An event is appended (and its
 * fdatasync awaited) before any delivery, and removed once delivered; the journal is rewritten to
 * what is left once the delivered ones make up most of it. Nothing secret is kept: an endpoint is
 * known by a digest of its URL, its secret stays in the configuration.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { JournalStore } from '../../store/journal-store.ts';
import type { WebhookEventType } from './webhook-event.ts';

/** One undelivered event of one endpoint: the exact body sent on every attempt. */
export type OutboxEntry = { readonly id: string; readonly type: WebhookEventType; readonly body: string };

export type OutboxEndpoint = { readonly id: string };

export type WebhookOutbox = JournalStore<OutboxEndpoint, OutboxEntry>;

/** Delivered events are compacted away once the journal passes this size (and twice what is left). */
const COMPACT_MIN_BYTES = 256 * 1024;

/** `<data>/outbox/webhooks.jsonl`, 0600 in a 0700 folder like the job store. */
export const openWebhookOutbox = (dataDir: string): WebhookOutbox =>
	new JournalStore<OutboxEndpoint, OutboxEntry>(join(dataDir, 'outbox', 'webhooks.jsonl'), {
		compactMinBytes: COMPACT_MIN_BYTES,
	});

/** An endpoint's key in the outbox: the same URL finds its undelivered events after a restart. */
export const outboxEndpointId = (url: string): string => createHash('sha256').update(url).digest('hex').slice(0, 24);
