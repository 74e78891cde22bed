/**
 * Request limits through the real HTTP server and `app.request()`: 413 while the body streams in,
 * JSON depth, string, array and metadata sizes, and nothing started by a request that is refused.
 */
import { createSocket } from 'node:dgram';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import * as assert from 'uvu/assert';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { test } from '../helpers/suite.ts';
import { makeService } from './service-kit.ts';

const SECRET = 'limits-secret';
const { service, recordingsRoot, store } = makeService();
const logs: string[] = [];
const app = createApp({
	service,
	recordingsRoot,
	accessToken: SECRET,
	version: 'test',
	limits: { maxBodyBytes: 256 * 1024 },
	logger: linesLogger(logs),
});
const jwt = await issueAccessJwt(SECRET, 1);

/** A free UDP port: bound and released. */
const freeUdpPort = async (): Promise<number> => {
	const socket = createSocket('udp4');
	await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
	const { port } = socket.address();
	await new Promise<void>((resolve) => socket.close(() => resolve()));
	return port;
};

/** Whether nothing holds `port`: we can bind it ourselves. */
const udpPortFree = async (port: number): Promise<boolean> => {
	const socket = createSocket('udp4');
	try {
		await new Promise<void>((resolve, reject) => {
			socket.once('error', reject);
			socket.bind(port, '127.0.0.1', resolve);
		});
		return true;
	} catch {
		return false;
	} finally {
		socket.close();
	}
};

const create = (body: unknown) =>
	app.request('/api/recording/create', {
		method: 'POST',
		headers: { 'x-access-token': jwt, 'content-type': 'application/json' },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});

const recording = (port: number, extra: Record<string, unknown> = {}, input: Record<string, unknown> = {}) => ({
	recording_name: `limits-${port}`,
	recording_type: 'RECORDING_STREAM_TO_FILE',
	output_format: 'ts',
	active: true,
	input: { input_type: 'INPUT_TYPE_UDP_LISTEN', input_stream_listen_port: { port }, ...input },
	...extra,
});

test('a body above the limit is refused with 413 while it streams in, before it is all sent', async () => {
	const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
	await new Promise<void>((resolve) => server.once('listening', resolve));
	const { port } = server.address() as AddressInfo;
	try {
		// Chunked (no Content-Length): the server can only know the size by counting. We offer 64 MiB
		// and expect the answer long before; a server that buffered first would wait for all of it.
		const total = 64 * 1024 * 1024;
		const answer = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
			let sent = 0;
			const req = request({
				host: '127.0.0.1',
				port,
				method: 'POST',
				path: '/api/recording/create',
				headers: { 'x-access-token': jwt, 'transfer-encoding': 'chunked' },
			});
			req.on('response', (res) => {
				resolve({ status: res.statusCode ?? 0, sent });
				req.destroy();
			});
			req.on('error', reject);
			const chunk = Buffer.alloc(64 * 1024, 0x20);
			const pump = (): void => {
				while (sent < total && !req.destroyed) {
					sent += chunk.length;
					if (!req.write(chunk)) return void req.once('drain', pump);
				}
				if (!req.destroyed) req.end();
			};
			pump();
		});
		assert.is(answer.status, 413);
		assert.ok(answer.sent < total / 4, `the answer came after ${answer.sent} bytes`);
		assert.ok(logs.some((line) => /larger than 262144 bytes/.test(line)));
		// With a Content-Length above the limit: refused from the header alone.
		const declared = await app.request('/v1/0123456789abcdef/record/control', {
			method: 'POST',
			headers: { 'content-length': String(10 * 1024 * 1024) },
			body: 'x',
		});
		assert.is(declared.status, 413);
	} finally {
		(server as Server).closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}
});

test('deep JSON is refused with 400 before anything starts: no job, no listener', async () => {
	const port = await freeUdpPort();
	// Too deep for JSON.stringify (the store's) to write back: a job no call could see or stop, once.
	const deep = `${'{"nested":'.repeat(20_000)}{}${'}'.repeat(20_000)}`;
	const response = await create(JSON.stringify(recording(port, {}, { extra: 'DEEP' })).replace('"DEEP"', deep));
	assert.is(response.status, 400);
	assert.match(((await response.json()) as { message: string }).message, /nests 2000[0-9] levels deep; at most 16/);
	assert.equal(service.list(), []);
	assert.ok(await udpPortFree(port), 'a refused request left a listener bound');
	assert.ok(logs.some((line) => /refused POST \/api\/recording\/create: the request body nests/.test(line)));
});

test('a job the store cannot keep starts nothing, even when the API limits are bypassed', async () => {
	const port = await freeUdpPort();
	let deep: Record<string, unknown> = {};
	for (let i = 0; i < 20_000; i++) deep = { nested: deep };
	const settings = {
		name: 'too-deep',
		dialect: 'callaba',
		streamName: 'too-deep',
		input: { protocol: 'udp', direction: 'listen', address: { port } },
		extra: { deep },
		format: 'ts',
		filePath: 'too-deep.ts',
		segmentationRule: 'discontinuity',
		active: true,
	} as unknown as Parameters<typeof service.create>[0];
	const refused = await service.create(settings).then(
		() => undefined,
		(error: Error) => error,
	);
	assert.match(String(refused), /Maximum call stack|job store/i);
	assert.equal(service.list(), []);
	assert.ok(await udpPortFree(port), 'a job the store refused left a listener bound');
});

test('strings, metadata, arrays and object keys have limits named in the answer', async () => {
	const cases: Array<[Record<string, unknown>, RegExp]> = [
		[recording(1, { file_path: 'x'.repeat(5000) }), /file_path has 5000 characters; at most 4096/],
		[recording(1, { metadata: 'm'.repeat(70_000) }), /metadata has 70000 characters; at most 65536/],
		[recording(1, { track_ids: Array.from({ length: 1001 }, (_, i) => i) }), /track_ids has 1001 items; at most 1000/],
		[
			recording(1, {}, Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, 1]))),
			/input has 1003 keys; at most 1000/,
		],
	];
	for (const [body, message] of cases) {
		const response = await create(body);
		assert.is(response.status, 400);
		assert.match(((await response.json()) as { message: string }).message, message);
	}
	// Within the limits: accepted (32 KiB of metadata).
	const port = await freeUdpPort();
	const ok = await create(recording(port, { metadata: 'm'.repeat(32_768), active: false }));
	assert.is(ok.status, 200);
	assert.is(service.list().length, 1);
});

test('every dialect is behind the limits', async () => {
	const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
	for (const path of ['/v1/vhosts/default/apps/app:startRecord', '/v1/0123456789abcdef/record/control']) {
		const response = await app.request(path, { method: 'POST', body: deep });
		assert.is(response.status, 400, path);
	}
});

test.after(async () => {
	await service.shutdown();
	await store.close();
});

test.run();
