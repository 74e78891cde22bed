/**
 * The publish policy on its own: per-stream credentials as each protocol presents them, streams
 * nobody configured, the safe default beyond loopback, and the admission webhook against a local
 * node:http server (allow, deny, timeout, and what counts as an answer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as assert from 'uvu/assert';
import { parseStreamId } from '../../ingest/srt/stream-id.ts';
import { AdmissionWebhook } from '../../src/auth/admission-webhook.ts';
import { PublishPolicy, type PublishSettings } from '../../src/auth/publish-policy.ts';
import { addressMatches } from '../../src/auth/stream-credentials.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { PublishRequest } from '../../src/core/stream-hub.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { test } from '../helpers/suite.ts';

const request = (
	stream: string,
	protocol: string,
	credentials: Record<string, string> = {},
	remoteAddress = '192.0.2.10',
): PublishRequest => {
	const [app, name] = stream.split('/') as [string, string];
	return { key: { vhost: 'default', app, stream: name }, protocol, remoteAddress, credentials };
};

const policyWith = (options: Partial<ConstructorParameters<typeof PublishPolicy>[0]> = {}) => {
	const lines: string[] = [];
	const policy = new PublishPolicy({ open: false, logger: linesLogger(lines), ...options });
	return { policy, lines };
};

test('a stream key is taken as each protocol carries it; a wrong or missing one is refused and logged', async () => {
	const { policy, lines } = policyWith({ streams: { 'live/cam': { key: 's3cret-key' } } });
	assert.ok(await policy.authorize(request('live/cam', 'rtmp', { key: 's3cret-key' })), 'RTMP ?key=');
	assert.ok(await policy.authorize(request('live/cam', 'srt', { s: 's3cret-key', r: 'live/cam' })), 'SRT s=');
	assert.ok(await policy.authorize(request('live/cam', 'http', { token: 's3cret-key' })), 'HTTP bearer');
	assert.ok(
		await policy.authorize(request('live/cam', 'rtsp', { user: 'x', password: 's3cret-key' })),
		'RTSP password',
	);
	assert.not.ok(await policy.authorize(request('live/cam', 'rtmp', { key: 'wrong' })));
	assert.not.ok(await policy.authorize(request('live/cam', 'rtmp', { r: 's3cret-key' })), 'only key fields count');
	assert.not.ok(await policy.authorize(request('live/cam', 'rtmp')));
	assert.match(lines.at(-1)!, /^publish refused: rtmp default\/live\/cam from 192\.0\.2\.10: wrong or missing key/);
});

test('user + password; app/* and * entries; unlisted streams refused unless open', async () => {
	const streams = {
		'live/cam': { user: 'enc', password: 'pw-1234567' },
		'live/*': { key: 'app-wide-key' },
		'*': { key: 'server-key' },
	};
	const { policy } = policyWith({ streams });
	assert.ok(await policy.authorize(request('live/cam', 'rtsp', { user: 'enc', password: 'pw-1234567' })));
	assert.ok(await policy.authorize(request('live/cam', 'srt', { u: 'enc', s: 'pw-1234567' })));
	assert.not.ok(await policy.authorize(request('live/cam', 'rtsp', { user: 'other', password: 'pw-1234567' })));
	assert.not.ok(
		await policy.authorize(request('live/cam', 'rtmp', { key: 'app-wide-key' })),
		'the most specific entry',
	);
	assert.ok(await policy.authorize(request('live/other', 'rtmp', { key: 'app-wide-key' })));
	assert.ok(await policy.authorize(request('news/x', 'rtmp', { key: 'server-key' })));
	assert.equal(policy.digestPasswords({ vhost: 'default', app: 'live', stream: 'cam' }, 'enc'), ['pw-1234567']);

	const closed = policyWith({ streams: { 'live/cam': { key: 'k' } } });
	assert.not.ok(await closed.policy.authorize(request('live/free', 'rtmp')));
	assert.match(closed.lines.at(-1)!, /no publish credentials are configured for this stream/);
	const open = policyWith({ streams: { 'live/cam': { key: 'k' } }, open: true });
	assert.ok(await open.policy.authorize(request('live/free', 'rtmp')));
	assert.not.ok(await open.policy.authorize(request('live/cam', 'rtmp')), 'a listed stream still needs its key');
});

test('a passphrase-only entry admits SRT (its handshake checked it) and no other protocol; sources limit any', async () => {
	const { policy } = policyWith({
		streams: { 'live/enc': { passphrase: 'passphrase-123' }, 'live/lan': { key: 'k', sources: ['10.0.0.0/8'] } },
		srtPassphrase: 'listener-wide-pass',
	});
	assert.ok(await policy.authorize(request('live/enc', 'srt')));
	assert.not.ok(await policy.authorize(request('live/enc', 'rtmp')));
	assert.is(policy.passphraseFor({ vhost: 'default', app: 'live', stream: 'enc' }), 'passphrase-123');
	assert.is(policy.passphraseFor({ vhost: 'default', app: 'live', stream: 'lan' }), 'listener-wide-pass');
	assert.ok(await policy.authorize(request('live/lan', 'rtmp', { key: 'k' }, '10.1.2.3')));
	assert.not.ok(await policy.authorize(request('live/lan', 'rtmp', { key: 'k' }, '192.0.2.1')));
	assert.ok(addressMatches('::ffff:10.0.0.1', '10.0.0.0/8') && addressMatches('127.0.0.2', '127.0.0.2'));
	assert.not.ok(addressMatches('11.0.0.1', '10.0.0.0/8'));
	assert.throws(() => policyWith({ streams: { 'a/b': { sources: ['nonsense'] } } }), /no IP address/);
});

test('SRT stream ids carry the key as s= (with u= for a user), or in MediaMTX form publish:path:user:pass', () => {
	assert.equal(parseStreamId('#!::r=live/cam,m=publish,s=k1').fields, { r: 'live/cam', m: 'publish', s: 'k1' });
	assert.equal(parseStreamId('publish:live/cam:enc:pw'), {
		resource: 'live/cam',
		mode: 'publish',
		fields: { r: 'live/cam', u: 'enc', s: 'pw' },
	});
	assert.equal(parseStreamId('read:live/cam').mode, 'request');
	assert.equal(parseStreamId('publish:live/cam').fields, { r: 'live/cam' });
});

test("a job input's own credentials: none means open only while publishing is open", async () => {
	const { policy } = policyWith();
	const gate = policy.gate({ key: 'job-key' });
	assert.ok(await gate.authorize(request('recording/j1', 'rtmp', { key: 'job-key' })));
	assert.not.ok(await gate.authorize(request('recording/j1', 'rtmp', { key: 'nope' })));
	assert.not.ok(await policy.gate({}).authorize(request('recording/j1', 'http')));
	assert.ok(await policyWith({ open: true }).policy.gate({}).authorize(request('recording/j1', 'http')));
	const udp = policy.gate({ sources: ['127.0.0.2'] });
	assert.ok(await udp.authorize(request('recording/j1', 'udp', {}, '127.0.0.2')));
	assert.not.ok(await udp.authorize(request('recording/j1', 'udp', {}, '127.0.0.1')));
	assert.equal(policy.gate({ user: 'u', password: 'p' }).digestPasswords('u'), ['p']);
	assert.throws(() => policy.gate({ sources: ['x'] }), /source "x" is no IP address/);
});

test('beyond loopback with nothing guarding publishing the server refuses to start, unless asked', async () => {
	const nothing: PublishSettings = { open: undefined, streams: {}, srtPassphrase: undefined, webhook: undefined };
	assert.not.ok(PublishPolicy.forServer(nothing, ['127.0.0.1'], silentLogger).guarded, 'loopback: open, no setup');
	assert.throws(() => PublishPolicy.forServer(nothing, ['0.0.0.0'], silentLogger), /--allow-open-publish/);
	assert.throws(() => PublishPolicy.forServer(nothing, ['::'], silentLogger), /reachable beyond this machine/);
	assert.not.ok(PublishPolicy.forServer({ ...nothing, open: true }, ['0.0.0.0'], silentLogger).guarded);
	const keyed = PublishPolicy.forServer({ ...nothing, streams: { 'live/a': { key: 'k' } } }, ['0.0.0.0'], silentLogger);
	assert.ok(keyed.guarded, 'keys configured: unlisted streams are closed');
	const local = PublishPolicy.forServer(nothing, ['127.0.0.1'], silentLogger);
	const job = request('recording/j1', 'udp');
	assert.ok(await local.gate({}, '127.0.0.1').authorize(job), 'a job listener on loopback: open');
	assert.not.ok(
		await local.gate({}, '0.0.0.0').authorize(job),
		'a job listener beyond loopback is not open by default',
	);
	assert.ok(await local.gate({ key: 'k' }, '0.0.0.0').authorize({ ...job, credentials: { key: 'k' } }));
	const asked = PublishPolicy.forServer({ ...nothing, open: true }, ['127.0.0.1'], silentLogger);
	assert.ok(await asked.gate({}, '0.0.0.0').authorize(job), 'open publishing asked for');
	const hooked = { ...nothing, webhook: { url: 'http://127.0.0.1:9/x', timeoutMs: 100 } };
	assert.ok(PublishPolicy.forServer(hooked, ['192.0.2.1'], silentLogger).guarded);
});

/** A local webhook; `answer` decides each call. */
const webhookServer = async (
	answer: (body: Record<string, unknown>, response: ServerResponse) => void,
): Promise<{ server: Server; url: string; bodies: Record<string, unknown>[] }> => {
	const bodies: Record<string, unknown>[] = [];
	const server = createServer((req: IncomingMessage, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
			bodies.push(body);
			answer(body, res);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return { server, url: `http://127.0.0.1:${port}/admit`, bodies };
};

const close = (server: Server) => {
	server.closeAllConnections();
	return new Promise<void>((resolve) => server.close(() => resolve()));
};

test('webhook: allow, deny, MediaMTX-style empty 2xx; the request names protocol, stream, address and key', async () => {
	const hook = await webhookServer((body, res) => {
		const key = (body['credentials'] as Record<string, string>)['key'];
		if (key === 'good') res.writeHead(200, { 'content-type': 'application/json' }).end('{"allowed": true}');
		else if (key === 'empty') res.writeHead(204).end();
		else if (key === 'unsure') res.writeHead(200).end('{"reason": "no allowed field"}');
		else res.writeHead(200).end('{"allowed": false, "reason": "unknown key"}');
	});
	try {
		const { policy, lines } = policyWith({ webhook: new AdmissionWebhook({ url: hook.url }) });
		assert.ok(await policy.authorize(request('live/cam', 'rtmp', { key: 'good' })));
		assert.equal(hook.bodies[0], {
			action: 'publish',
			protocol: 'rtmp',
			vhost: 'default',
			app: 'live',
			stream: 'cam',
			remoteAddress: '192.0.2.10',
			credentials: { key: 'good' },
		});
		assert.match(lines.at(-1)!, /^publish allowed: rtmp default\/live\/cam from 192\.0\.2\.10: webhook allowed/);
		assert.ok(await policy.authorize(request('live/cam', 'srt', { key: 'empty' })));
		assert.not.ok(await policy.authorize(request('live/cam', 'rtmp', { key: 'unsure' })));
		assert.not.ok(await policy.authorize(request('live/cam', 'rtmp', { key: 'bad' })));
		assert.match(lines.at(-1)!, /^publish refused: .*webhook denied: unknown key/);
		const keyed = policyWith({
			streams: { 'live/cam': { key: 'good' } },
			webhook: new AdmissionWebhook({ url: hook.url }),
		});
		const calls = hook.bodies.length;
		assert.not.ok(await keyed.policy.authorize(request('live/cam', 'rtmp', { key: 'bad' })));
		assert.is(hook.bodies.length, calls, 'a wrong static key is refused before the webhook is asked');
	} finally {
		await close(hook.server);
	}
});

test('webhook: a status other than 2xx, a redirect, no answer in time, nobody listening: denied', async () => {
	const hook = await webhookServer((body, res) => {
		const key = (body['credentials'] as Record<string, string>)['key'];
		if (key === 'slow') return; // never answers
		if (key === 'redirect') res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
		else res.writeHead(403).end('{"allowed": true}');
	});
	try {
		const lines: string[] = [];
		const webhook = new AdmissionWebhook({ url: hook.url, timeoutMs: 300 });
		const policy = new PublishPolicy({ open: true, webhook, logger: linesLogger(lines) });
		assert.not.ok(await policy.authorize(request('live/cam', 'rtmp', { key: 'forbidden' })));
		assert.match(lines.at(-1)!, /webhook answered 403/);
		assert.not.ok(await policy.authorize(request('live/cam', 'rtmp', { key: 'redirect' })));
		const started = Date.now();
		assert.not.ok(await policy.authorize(request('live/cam', 'rtmp', { key: 'slow' })));
		const waited = Date.now() - started;
		assert.ok(waited >= 250 && waited < 2000, `timed out after ${waited} ms`);
		assert.match(lines.at(-1)!, /webhook failed: no answer within 300 ms/);
		assert.is(new AdmissionWebhook({ url: 'http://127.0.0.1:9/' }).timeoutMs, 3000, 'default timeout');
	} finally {
		await close(hook.server);
	}
	const gone = new AdmissionWebhook({ url: hook.url, timeoutMs: 500 });
	assert.not.ok((await gone.decide(request('live/cam', 'rtmp'))).allowed);
});

test.run();
