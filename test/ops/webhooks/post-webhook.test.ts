/**
 * One attempt against a real HTTP server: a 2xx is a delivery; another status, a redirect (not
 * followed), no answer within the time limit, or nobody listening is a failure with its reason.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as assert from 'uvu/assert';
import { postWebhook, webhookSignature } from '../../../src/ops/webhooks/post-webhook.ts';
import { test } from '../../helpers/suite.ts';

const entry = { id: 'event-1', type: 'file.completed' as const, body: '{"id":"event-1"}' };

test('a 2xx delivers; another status, a redirect, silence or nobody listening fails with the reason', async () => {
	const headers: Array<Record<string, string | string[] | undefined>> = [];
	const server = createServer((request, response) => {
		headers.push(request.headers);
		request.resume();
		const status = Number(request.url?.slice(1));
		if (status === 0) return; // never answers
		response.writeHead(status, status === 302 ? { location: '/204' } : {}).end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const attempt = (path: string, timeoutMs = 10_000) =>
		postWebhook({ url: `${base}${path}`, secret: 'k' }, timeoutMs)(entry, new AbortController().signal);
	try {
		assert.is(await attempt('/204'), undefined);
		assert.is(await attempt('/500'), 'HTTP 500');
		assert.is(await attempt('/302'), 'HTTP 302');
		assert.is(await attempt('/0', 300), 'no answer in time');
		assert.is(headers.length, 4, 'the redirect was not followed');
		assert.equal(
			{
				type: headers[0]?.['content-type'],
				id: headers[0]?.['x-tapedeck-event-id'],
				event: headers[0]?.['x-tapedeck-event'],
				signature: headers[0]?.['x-tapedeck-signature'],
			},
			{
				type: 'application/json',
				id: 'event-1',
				event: 'file.completed',
				signature: webhookSignature(entry.body, 'k'),
			},
		);
		assert.match(String(headers[0]?.['x-tapedeck-timestamp']), /^\d{10}$/);
	} finally {
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}
	// A port nobody listens on (a pooled connection to the closed server would fail as "other side closed").
	const closed = createServer();
	await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
	const { port } = closed.address() as AddressInfo;
	await new Promise<void>((resolve) => closed.close(() => resolve()));
	const refused = await postWebhook({ url: `http://127.0.0.1:${port}/`, secret: 'k' }, 10_000)(
		entry,
		new AbortController().signal,
	);
	assert.is(refused, `connect ECONNREFUSED 127.0.0.1:${port}`);
});

test.run();
