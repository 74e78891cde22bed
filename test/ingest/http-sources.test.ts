/** HTTP in: uploads (POST/PUT of TS or FLV, chunked) and pulls (GET, reconnecting with back-off). */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { HttpListenSource } from '../../ingest/http/http-listen-source.ts';
import { HttpPullSource } from '../../ingest/http/http-pull-source.ts';
import { freePort } from '../helpers/ports.ts';
import { SessionCollector } from '../helpers/session-collector.ts';
import { test } from '../helpers/suite.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

/** A body streamed in 8 KiB pieces (chunked transfer encoding), a little slower than instant. */
const slowBody = (bytes: Uint8Array, pauseMs = 0) =>
	Readable.toWeb(
		Readable.from(
			(async function* () {
				for (let i = 0; i < bytes.length; i += 8192) {
					yield bytes.subarray(i, i + 8192);
					if (pauseMs) await sleep(pauseMs);
				}
			})(),
		),
	) as ReadableStream<Uint8Array>;

const upload = (port: number, bytes: Uint8Array, method = 'POST', pauseMs = 0) =>
	fetch(`http://127.0.0.1:${port}/live/cam`, { method, body: slowBody(bytes, pauseMs), duplex: 'half' } as RequestInit);

test('chunked POST of MPEG-TS and PUT of FLV: one session each', async () => {
	const port = await freePort();
	const target = new SessionCollector();
	const source = new HttpListenSource({ host: '127.0.0.1', port }, target);
	await source.start();
	try {
		const ts = await upload(port, readFileSync(fixture('h264-aac48')));
		assert.is(ts.status, 200);
		assert.equal(
			target.tracks.map((t) => t.codec),
			['h264', 'aac'],
		);
		const afterTs = target.packets;
		assert.ok(afterTs > 250);
		const flv = await upload(port, readFileSync(fixture('h264-aac48-flv')), 'PUT');
		assert.is(flv.status, 200);
		assert.ok(target.packets > afterTs + 250);
		assert.is(target.sessions, 2);
		assert.equal(target.ends, ['upload finished', 'upload finished']);
	} finally {
		await source.stop();
	}
});

test('a second concurrent upload is refused with 409; GET is 405; a body of garbage is 415', async () => {
	const port = await freePort();
	const target = new SessionCollector();
	const source = new HttpListenSource({ host: '127.0.0.1', port }, target);
	await source.start();
	try {
		const first = upload(port, readFileSync(fixture('h264-aac48')), 'POST', 5);
		assert.ok(await waitFor(() => target.sessions === 1, 5000), 'the first upload began');
		const second = await upload(port, readFileSync(fixture('h264-aac48')));
		assert.is(second.status, 409);
		assert.is((await first).status, 200);
		assert.is((await fetch(`http://127.0.0.1:${port}/`)).status, 405);
		const garbage = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: new Uint8Array(4000).fill(7) });
		assert.is(garbage.status, 415);
		assert.is(target.sessions, 1);
	} finally {
		await source.stop();
	}
});

test('an upload cut off mid-way ends the session; the listener takes the next one', async () => {
	const port = await freePort();
	const target = new SessionCollector();
	const source = new HttpListenSource({ host: '127.0.0.1', port }, target);
	await source.start();
	try {
		const abort = new AbortController();
		const bytes = readFileSync(fixture('h264-aac48'));
		const pending = fetch(`http://127.0.0.1:${port}/`, {
			method: 'POST',
			body: slowBody(bytes, 5),
			duplex: 'half',
			signal: abort.signal,
		} as RequestInit).catch(() => undefined);
		assert.ok(await waitFor(() => target.packets > 0, 5000), 'media arrived');
		abort.abort();
		await pending;
		assert.ok(await waitFor(() => target.ends.length === 1, 5000), 'the session ended');
		assert.match(target.ends[0] ?? '', 'publisher disconnected');
		assert.is((await upload(port, bytes)).status, 200);
		assert.is(target.sessions, 2);
	} finally {
		await source.stop();
	}
});

test('GET pull: reconnects with back-off after a failure and after each end of stream', async () => {
	const target = new SessionCollector();
	let requests = 0;
	const media = readFileSync(fixture('h264-aac48'));
	const server: Server = createServer((_request, response) => {
		requests++;
		if (requests === 1) {
			response.writeHead(503).end();
			return;
		}
		response.writeHead(200, { 'content-type': 'video/mp2t' });
		response.end(media);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	const { port } = server.address() as AddressInfo;
	const source = new HttpPullSource(`http://127.0.0.1:${port}/live.ts`, target);
	try {
		await source.start();
		// 503, then (after 1 s back-off) a whole stream, then (after 0.5 s) another.
		await waitFor(() => requests >= 3 && target.sessions >= 2, 10_000);
		assert.ok(requests >= 3, `${requests} requests`);
		assert.ok(target.sessions >= 2, `${target.sessions} sessions`);
		assert.ok(target.packets > 500);
		assert.ok(target.ends.every((reason) => reason === 'response ended'));
	} finally {
		await source.stop();
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}
	assert.throws(() => new HttpPullSource('ftp://x/y', target), /http\(s\):\/\//);
});

test.run();
