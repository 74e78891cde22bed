/**
 * One endpoint's delivery with an injected clock: a receiver down for 30 s gets every event once it
 * is back, in order, after waits that double from the first up to the cap with bounded jitter; the
 * outbox keeps what is undelivered across a restart and drops the oldest past its bound, saying so.
 */
import * as assert from 'uvu/assert';
import {
	type DeliveryClock,
	EndpointDelivery,
	type EndpointDeliveryOptions,
	retryDelayMs,
} from '../../../src/ops/webhooks/endpoint-delivery.ts';
import type { SendWebhook } from '../../../src/ops/webhooks/post-webhook.ts';
import { type OutboxEntry, openWebhookOutbox } from '../../../src/ops/webhooks/webhook-outbox.ts';
import { MemoryLogger } from '../../helpers/memory-logger.ts';
import { test } from '../../helpers/suite.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/** Virtual time: every wait passes at once and moves the clock on. */
const virtualClock = (): DeliveryClock & { now: number; waits: number[] } => {
	const clock = {
		now: 0,
		waits: [] as number[],
		sleep: async (ms: number) => {
			clock.waits.push(ms);
			clock.now += ms;
		},
	};
	return clock;
};

const entry = (n: number): OutboxEntry => ({ id: `event-${n}`, type: 'file.completed', body: `{"n":${n}}` });

const deliveryOf = (options: Partial<EndpointDeliveryOptions> & Pick<EndpointDeliveryOptions, 'outbox'>) =>
	new EndpointDelivery({
		id: 'endpoint',
		url: 'http://user:hunter2@receiver.example/hook',
		send: async () => 'ECONNREFUSED',
		retry: { initialMs: 1000, maxMs: 8000 },
		maxPending: 100,
		logger: new MemoryLogger(),
		...options,
	});

test('the wait doubles from the first up to the cap, with jitter between half and all of it', () => {
	const schedule = { initialMs: 1000, maxMs: 8000 };
	assert.equal(
		[0, 1, 2, 3, 4, 10, 2000].map((failures) => retryDelayMs(failures, schedule, () => 1)),
		[1000, 2000, 4000, 8000, 8000, 8000, 8000],
	);
	assert.equal(
		[0, 1, 2, 3, 4].map((failures) => retryDelayMs(failures, schedule, () => 0)),
		[500, 1000, 2000, 4000, 4000],
	);
});

test('a receiver down for 30 s gets every event once it is back, in order, each once', async () => {
	const outbox = openWebhookOutbox(tempDir('webhook-delivery'));
	const clock = virtualClock();
	const received: Array<{ id: string; at: number }> = [];
	const send: SendWebhook = async (sent) => {
		if (clock.now < 30_000) return 'ECONNREFUSED';
		received.push({ id: sent.id, at: clock.now });
		return undefined;
	};
	const logger = new MemoryLogger();
	const delivery = deliveryOf({ outbox, send, clock, random: () => 0.5, logger });
	for (const n of [1, 2, 3]) delivery.add(entry(n));
	delivery.start();
	await delivery.idle();
	// 0.75 × 1, 2, 4, 8, 8, … s: tried at 0, 0.75, 2.25, 5.25, 11.25, 17.25, 23.25, 29.25 s, then taken at 35.25 s.
	assert.equal(clock.waits, [750, 1500, 3000, 6000, 6000, 6000, 6000, 6000]);
	assert.equal(
		received.map((r) => r.id),
		['event-1', 'event-2', 'event-3'],
	);
	assert.is(received[0]?.at, 35_250);
	assert.equal(delivery.counts, { delivered: 3, dropped: 0, pending: 0 });
	assert.is(outbox.itemCount('endpoint'), 0);
	const failed = logger.entries.filter((entry) => entry.fields.event === 'webhook.failed');
	assert.is(failed.length, 8);
	assert.equal(failed[0]?.level, 'warn');
	assert.equal(failed[0]?.fields, {
		event: 'webhook.failed',
		endpoint: 'http://user:***@receiver.example/hook',
		eventId: 'event-1',
		type: 'file.completed',
		attempt: 1,
		reason: 'ECONNREFUSED',
		retryInMs: 750,
	});
	assert.is(
		failed[0]?.message,
		'webhook file.completed to http://user:***@receiver.example/hook failed (ECONNREFUSED); retry in 750 ms',
	);
	await delivery.stop();
	await outbox.close();
});

test('undelivered events stay in the outbox across a restart, in order, and go out after it', async () => {
	const data = tempDir('webhook-restart');
	const first = openWebhookOutbox(data);
	const before = deliveryOf({ outbox: first });
	for (const n of [1, 2, 3]) before.add(entry(n));
	await first.synced();
	await first.close();

	const second = openWebhookOutbox(data);
	const sent: string[] = [];
	const after = deliveryOf({
		outbox: second,
		send: async (e) => {
			sent.push(e.id);
			return undefined;
		},
	});
	assert.is(after.counts.pending, 3);
	after.add(entry(4));
	after.start();
	await after.idle();
	assert.equal(sent, ['event-1', 'event-2', 'event-3', 'event-4']);
	await after.stop();
	await second.close();
	const third = openWebhookOutbox(data);
	assert.is(third.itemCount('endpoint'), 0, 'delivered events are gone from the outbox');
	await third.close();
});

test('past its bound the outbox drops the oldest undelivered events, counts and logs them', async () => {
	const data = tempDir('webhook-bound');
	const outbox = openWebhookOutbox(data);
	const logger = new MemoryLogger();
	const delivery = deliveryOf({ outbox, maxPending: 3, logger });
	for (const n of [1, 2, 3, 4, 5]) delivery.add(entry(n));
	assert.equal(delivery.counts, { delivered: 0, dropped: 2, pending: 3 });
	assert.equal(
		outbox.items('endpoint').map((e) => e.id),
		['event-3', 'event-4', 'event-5'],
	);
	const dropped = logger.entries.filter((entry) => entry.fields.event === 'webhook.dropped');
	assert.equal(
		dropped.map(({ fields, level }) => [fields['eventId'], fields['dropped'], level]),
		[
			['event-1', 1, 'warn'],
			['event-2', 2, 'warn'],
		],
	);
	await outbox.close();
	// A smaller bound at the next start trims what was kept.
	const reopened = openWebhookOutbox(data);
	const trimmed = deliveryOf({ outbox: reopened, maxPending: 1 });
	assert.equal(trimmed.counts, { delivered: 0, dropped: 2, pending: 1 });
	assert.equal(
		reopened.items('endpoint').map((e) => e.id),
		['event-5'],
	);
	await reopened.close();
});

test.run();
