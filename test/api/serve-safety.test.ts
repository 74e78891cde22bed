/**
 * A real `serve` (in process, ports from the OS) as an API client meets it: the data folder made
 * private whatever the umask, listeners bound apart from the API, a job's own listeners limited to
 * allowed addresses, pulls limited to allowed destinations and redirects.
 */
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { type RunningServer, startServer } from '../../src/cli/serve.ts';
import { loadAccessToken, loadServeConfig } from '../../src/config/load.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait.ts';

type Started = { server: RunningServer; jwt: string; logs: string[]; dataDir: string };

const start = async (flags: string[] = [], dataDir = tempDir('safety')) => {
	const config = loadServeConfig(
		['--port', '0', '--data', dataDir, '--rtmp-port', '0', '--srt-port', '0', '--rtsp-port', '0', ...flags],
		{},
	);
	const token = loadAccessToken(config.dataDir, {});
	const logs: string[] = [];
	const server = await startServer(config, token, { logger: linesLogger(logs) });
	return { server, jwt: await issueAccessJwt(token.secret, 1), logs, dataDir } satisfies Started;
};

const call = async (on: Started, path: string, body: unknown) => {
	const response = await fetch(`${on.server.url}${path}`, {
		method: 'POST',
		headers: { 'x-access-token': on.jwt, 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	return { status: response.status, json: (await response.json()) as Record<string, unknown> & { message?: string } };
};

const job = (name: string, input: Record<string, unknown>, active = true) => ({
	recording_name: name,
	recording_type: 'RECORDING_STREAM_TO_FILE',
	output_format: 'ts',
	active,
	input,
});
const listenOn = (address: string | undefined, port: number) => ({
	input_type: 'INPUT_TYPE_HTTP_LISTEN',
	input_stream_listen_port: { port, ...(address === undefined ? {} : { address }) },
});

test('the data folder becomes 0700 and the token file 0600 whatever the umask', async () => {
	const previous = process.umask(0);
	const dataDir = join(tempDir('umask'), 'data');
	try {
		mkdirSync(dataDir);
		chmodSync(dataDir, 0o777);
		const started = await start([], dataDir);
		await started.server.close();
	} finally {
		process.umask(previous);
	}
	assert.is(statSync(dataDir).mode & 0o777, 0o700);
	assert.is(statSync(join(dataDir, 'access-token')).mode & 0o777, 0o600);
});

test("a job's own listener binds only allowed addresses: wildcards refused with 400 unless configured", async () => {
	const started = await start();
	try {
		for (const address of ['0.0.0.0', '::', '192.0.2.1']) {
			const refused = await call(started, '/api/recording/create', job(`wild-${address}`, listenOn(address, 1)));
			assert.is(refused.status, 400, address);
			assert.match(refused.json.message ?? '', `may not bind "${address}": allowed are 127.0.0.1, ::1`);
		}
		const udp = await call(
			started,
			'/api/recording/create',
			job('udp-any', { input_type: 'INPUT_TYPE_UDP_URL', input_stream_url: 'udp://@:5000' }),
		);
		assert.is(udp.status, 400);
		assert.match(udp.json.message ?? '', 'may not bind "0.0.0.0"');
		assert.equal(started.server.service.list(), []);
		const loopback = await call(started, '/api/recording/create', job('loop', listenOn(undefined, 1), false));
		assert.is(loopback.status, 200);
	} finally {
		await started.server.close();
	}
	const allowing = await start(['--allow-listen', '0.0.0.0']);
	try {
		const wild = await call(allowing, '/api/recording/create', job('wild', listenOn('0.0.0.0', 1), false));
		assert.is(wild.status, 200);
	} finally {
		await allowing.server.close();
	}
});

test('the built-in listeners bind --listen-host, the API --host', async () => {
	const rtmpPort = await freeTcpPort();
	const started = await start(['--host', '127.0.0.1', '--listen-host', '127.0.0.2', '--rtmp-port', String(rtmpPort)]);
	try {
		assert.match(started.server.url, /^http:\/\/127\.0\.0\.1:/);
		assert.ok(
			started.logs.some((line) => line.includes(`127.0.0.2:${rtmpPort}`)),
			started.logs.join('\n'),
		);
		assert.ok(await connects('127.0.0.2', rtmpPort));
		assert.not.ok(await connects('127.0.0.1', rtmpPort));
		// A job's listener naming no address binds the listen host, which is allowed.
		const own = await call(started, '/api/recording/create', job('own', listenOn(undefined, 1), false));
		assert.is(own.status, 200);
	} finally {
		await started.server.close();
	}
});

/** A local HTTP server: `/stream.ts` serves a TS file, `/to-*` redirect. */
const origin = async (): Promise<{ server: Server; base: string }> => {
	const media = readFileSync(fixture('h264-aac48'));
	const server = createServer((req, res) => {
		if (req.url === '/stream.ts') return void res.writeHead(200, { 'content-type': 'video/mp2t' }).end(media);
		if (req.url === '/to-stream') return void res.writeHead(302, { location: '/stream.ts' }).end();
		if (req.url === '/to-rtmp') return void res.writeHead(302, { location: 'rtmp://127.0.0.1/live/x' }).end();
		res.writeHead(404).end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

const pull = (url: string) => ({ input_type: 'INPUT_TYPE_HTTP_URL', input_stream_url: url });

test('pull redirects: none by default, then only as configured and never to another scheme', async () => {
	const { server, base } = await origin();
	const strict = await start();
	const following = await start(['--pull-redirects', '2']);
	try {
		await call(strict, '/api/recording/create', job('redirect', pull(`${base}/to-stream`)));
		assert.ok(
			await waitFor(
				() => strict.logs.some((line) => /redirects to \/stream\.ts; pulls follow no redirects/.test(line)),
				5000,
			),
			strict.logs.join('\n'),
		);
		assert.is(strict.server.service.fileCount(strict.server.service.list()[0]?.id ?? ''), 0);

		await call(following, '/api/recording/create', job('redirect', pull(`${base}/to-stream`)));
		assert.ok(
			await waitFor(() => following.server.service.fileCount(following.server.service.list()[0]?.id ?? '') > 0, 10_000),
		);
		assert.ok(following.logs.some((line) => line.includes(`redirected to ${base}/stream.ts`)));

		await call(following, '/api/recording/create', job('scheme', pull(`${base}/to-rtmp`)));
		assert.ok(
			await waitFor(() => following.logs.some((line) => /another scheme is never followed/.test(line)), 5000),
			following.logs.join('\n'),
		);
	} finally {
		await strict.server.close();
		await following.server.close();
		server.close();
	}
});

test('a pull allow-list: a destination outside it fails the job with the reason', async () => {
	const { server, base } = await origin();
	const started = await start(['--pull-allow', '10.0.0.0/8,*.example.com']);
	try {
		for (const [name, input] of [
			['http', pull(`${base}/stream.ts`)],
			['rtmp', { input_type: 'INPUT_TYPE_RTMP_URL', input_stream_url: 'rtmp://127.0.0.1:1/live/x' }],
			['rtsp', { input_type: 'INPUT_TYPE_RTSP_URL', input_stream_url: 'rtsp://127.0.0.1:1/x' }],
			['srt', { input_type: 'INPUT_TYPE_SRT_URL', input_stream_url: 'srt://127.0.0.1:1?streamid=x' }],
		] as const) {
			const created = await call(started, '/api/recording/create', job(name, input));
			const view = await call(started, '/api/recording/getById', { id: created.json['id'] });
			assert.is(view.json['state'], 'error', name);
			assert.match(
				String(view.json['state_reason']),
				/pulling from .*127\.0\.0\.1.* is not allowed.*10\.0\.0\.0\/8, \*\.example\.com/,
			);
		}
	} finally {
		await started.server.close();
		server.close();
	}
	assert.throws(() => loadServeConfig(['--pull-allow', '10.0.0.0/99'], {}), /pull-allow entries are host names/);
});

const freeTcpPort = async (): Promise<number> => {
	const probe = createServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as AddressInfo;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
};

const connects = (host: string, port: number): Promise<boolean> =>
	new Promise((resolve) => {
		const socket = connect({ host, port });
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});

test('safety settings: flags over environment over defaults, bad values named', () => {
	const defaults = loadServeConfig([], {}).safety;
	assert.equal(defaults.connections, {
		handshakeTimeoutMs: 10_000,
		idleTimeoutMs: 30_000,
		maxPendingPerSource: 16,
		maxPending: 256,
	});
	assert.equal(
		[defaults.listenHost, defaults.maxBodyBytes, defaults.jwtMaxLifetimeSeconds],
		['127.0.0.1', 1_048_576, 86_400],
	);
	assert.equal(defaults.network, { listenAddresses: ['127.0.0.1', '::1'], pullRedirects: 0, pullAllow: [] });
	assert.equal(defaults.credentials, {});
	const env = { TAPEDECK_HANDSHAKE_TIMEOUT_MS: '2000', TAPEDECK_OME_TOKEN: 'ome', TAPEDECK_LISTEN_HOST: '0.0.0.0' };
	const set = loadServeConfig(['--handshake-timeout', '3000', '--allow-listen', '192.0.2.1, ::'], env).safety;
	assert.is(set.connections.handshakeTimeoutMs, 3000);
	assert.is(set.listenHost, '0.0.0.0');
	assert.equal(set.network.listenAddresses, ['0.0.0.0', '127.0.0.1', '::1', '192.0.2.1', '::']);
	assert.equal(set.credentials, { ome: 'ome' });
	assert.throws(
		() => loadServeConfig(['--max-pending', '0'], {}),
		/^config: ingest\.maxPending: expected an integer at least 1, got "0" \(from --max-pending\)$/,
	);
	assert.throws(
		() => loadServeConfig([], { TAPEDECK_IDLE_TIMEOUT_MS: 'soon' }),
		/ingest\.idleTimeoutMs: .* got "soon" \(from TAPEDECK_IDLE_TIMEOUT_MS\)/,
	);
});

test.run();
