/**
 * Publish authentication through the real listeners against real publishers (ffmpeg): a wrong or
 * missing key, password, passphrase or address is refused on RTMP, SRT, RTSP, HTTP and UDP, nothing
 * reaches the bus, the refusal is logged with its reason and the remote address; the right ones
 * publish. Also: a recording's private stream cannot be pushed to through a built-in listener.
 * Ports from the OS; RTP ports of RTSP publishers in 27810–27849.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createInput } from '../../ingest/create-input.ts';
import { RtmpListener } from '../../ingest/rtmp/rtmp-listener.ts';
import { RtspListener } from '../../ingest/rtsp/rtsp-listener.ts';
import { SrtListener } from '../../ingest/srt/srt-listener.ts';
import { AdmissionWebhook } from '../../src/auth/admission-webhook.ts';
import { PublishPolicy } from '../../src/auth/publish-policy.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import type { InputSpec } from '../../src/core/input-spec.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { IngestSource, StreamKey } from '../../src/core/stream-hub.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { freePort } from '../helpers/ports.ts';
import { ffmpegCopy, type Peer } from '../helpers/process.ts';
import { SessionCollector } from '../helpers/session-collector.ts';
import { test } from '../helpers/suite.ts';
import { Collector, waitFor } from '../ingest/rtmp-kit.ts';
import { withGlobalHeaders } from '../ingest/rtsp-harness.ts';

const MEDIA = fixture('h264-aac48');
const SRT_PORT = await freePort('udp');
const HTTP_PORT = await freePort('tcp');
const UDP_PORT = await freePort('udp');
const JOB_RTMP_PORT = await freePort('tcp');
const JOB_RTSP_PORT = await freePort('tcp');
const RTSP_RTP_PORTS = { min: 27_810, max: 27_849 };

const log: string[] = [];
const policy = new PublishPolicy({
	open: false,
	streams: {
		'live/rtmp': { key: 'rtmp-key-123' },
		'live/srt': { key: 'srt-key-1234' },
		'live/srtpass': { passphrase: 'srt-passphrase-1' },
		'live/rtsp': { user: 'enc', password: 'rtsp-pass-1' },
	},
	logger: linesLogger(log),
});
const registry = new StreamRegistry({ authorize: (r) => policy.authorize(r), logger: linesLogger(log) });

const live = (stream: string): StreamKey => ({ vhost: 'default', app: 'live', stream });
const watch = (stream: string): Collector => {
	const collector = new Collector();
	registry.subscribe(live(stream), collector);
	return collector;
};

/** ffmpeg copying about a second of the fixture to `output`; resolves to its exit code (or 'timeout'). */
const push = async (output: readonly string[], input = MEDIA): Promise<number | null | 'timeout'> => {
	const peer: Peer = ffmpegCopy(input, output, { inputOptions: ['-t', '1.2'] });
	const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000));
	try {
		return await Promise.race([peer.exited, timeout]);
	} finally {
		await peer.stop();
	}
};

const lastLog = (pattern: RegExp): string | undefined => [...log].reverse().find((line) => pattern.test(line));

const withSource = async <S extends IngestSource>(source: S, body: (source: S) => Promise<void>): Promise<void> => {
	await source.start();
	try {
		await body(source);
	} finally {
		await source.stop();
	}
};

test('RTMP: a wrong or missing stream key is refused and logged; the right key publishes', async () => {
	await withSource(new RtmpListener({ hub: registry, port: 0, logger: linesLogger(log) }), async (listener) => {
		const collector = watch('rtmp');
		const url = `rtmp://127.0.0.1:${listener.port}/live/rtmp`;
		assert.is.not(await push(['-f', 'flv', `${url}?key=wrong`]), 0);
		assert.is.not(await push(['-f', 'flv', url]), 0);
		assert.is(collector.packets.length, 0);
		assert.match(
			lastLog(/publish refused: rtmp/) ?? '',
			/publish refused: rtmp default\/live\/rtmp from 127\.0\.0\.1: wrong or missing key/,
		);
		assert.match(lastLog(/NetStream.Publish.Unauthorized/) ?? '', /^RTMP 127\.0\.0\.1:\d+: /);
		assert.is(await push(['-f', 'flv', `${url}?key=rtmp-key-123`]), 0);
		await waitFor(() => collector.ends.length > 0, 5000, 'the end of the accepted stream');
		assert.ok(collector.packets.length > 50, `${collector.packets.length} packets`);
	});
});

test("RTMP: a recording's private stream (recording/<jobId>) is refused whatever the key", async () => {
	await withSource(new RtmpListener({ hub: registry, port: 0, logger: silentLogger }), async (listener) => {
		const collector = new Collector();
		const key = { vhost: 'default', app: 'recording', stream: 'job-1' };
		registry.subscribe(key, collector);
		assert.is.not(await push(['-f', 'flv', `rtmp://127.0.0.1:${listener.port}/recording/job-1?key=rtmp-key-123`]), 0);
		assert.is(collector.packets.length, 0);
		assert.match(lastLog(/recording\/job-1/) ?? '', /private stream/);
	});
});

test('SRT: the stream id key (s=) and the built-in listener passphrase are checked; refusals logged', async () => {
	const listener = new SrtListener({
		hub: registry,
		port: SRT_PORT,
		passphrase: (key) => policy.passphraseFor(key),
		logger: linesLogger(log),
	});
	await withSource(listener, async () => {
		const keyed = watch('srt');
		const url = (query: string) => `srt://127.0.0.1:${SRT_PORT}?mode=caller&linger=2&${query}`;
		const sid = (s: string) => `streamid=#!::r=live/srt,m=publish${s}`;
		assert.is.not(await push(['-f', 'mpegts', url(sid(',s=wrong'))]), 0);
		assert.is.not(await push(['-f', 'mpegts', url(sid(''))]), 0);
		assert.is(keyed.packets.length, 0);
		assert.match(lastLog(/publish refused: srt/) ?? '', /default\/live\/srt from 127\.0\.0\.1: wrong or missing/);
		assert.match(lastLog(/caller .* refused/) ?? '', /caller 127\.0\.0\.1 .* refused: 2401 not authorized/);
		assert.is(await push(['-f', 'mpegts', url(sid(',s=srt-key-1234'))]), 0);
		await waitFor(() => keyed.packets.length > 50, 5000, 'SRT media with the right key');

		const encrypted = watch('srtpass');
		assert.is.not(await push(['-f', 'mpegts', url('streamid=live/srtpass')]), 0);
		assert.match(lastLog(/caller .* refused/) ?? '', /refused: 1011 passphrase set on one side only/);
		assert.is.not(await push(['-f', 'mpegts', url('passphrase=not-the-pass-1&streamid=live/srtpass')]), 0);
		assert.match(lastLog(/caller .* refused/) ?? '', /refused: 1010 wrong passphrase/);
		assert.is(encrypted.packets.length, 0);
		assert.is(await push(['-f', 'mpegts', url('passphrase=srt-passphrase-1&streamid=live/srtpass')]), 0);
		await waitFor(() => encrypted.packets.length > 50, 5000, 'SRT media with the passphrase');
	});
});

test('RTSP: Digest/Basic user and password checked; a wrong password gets 401 and is logged', async () => {
	const source = await withGlobalHeaders(MEDIA);
	const listener = new RtspListener({
		hub: registry,
		port: 0,
		rtpPorts: RTSP_RTP_PORTS,
		digestPasswords: (key, user) => policy.digestPasswords(key, user),
	});
	await withSource(listener, async () => {
		const collector = watch('rtsp');
		const url = (userinfo: string) => `rtsp://${userinfo}127.0.0.1:${listener.port}/live/rtsp`;
		assert.is.not(await push(['-f', 'rtsp', url('enc:wrong@')], source), 0);
		assert.is.not(await push(['-f', 'rtsp', url('')], source), 0);
		assert.is(collector.packets.length, 0);
		assert.match(lastLog(/publish refused: rtsp/) ?? '', /default\/live\/rtsp from 127\.0\.0\.1: wrong or missing/);
		assert.is(await push(['-f', 'rtsp', url('enc:rtsp-pass-1@')], source), 0, 'ffmpeg answers the Digest challenge');
		await waitFor(() => collector.packets.length > 50, 5000, 'RTSP media with the right password');
	});
});

const jobKey: StreamKey = { vhost: 'default', app: 'recording', stream: 'job-http' };
const listenInput = (
	protocol: InputSpec['protocol'],
	port: number,
	credentials: NonNullable<InputSpec['credentials']>,
): InputSpec => ({ protocol, direction: 'listen', address: { port }, credentials });

const context = (input: InputSpec) => ({
	hub: registry,
	key: jobKey,
	listenHost: '127.0.0.1',
	logger: linesLogger(log),
	admission: policy.gate(input.credentials ?? {}),
});

test("HTTP listen: the job's publish_key as a Bearer token or Basic password; a wrong one gets 401", async () => {
	const input = listenInput('http', HTTP_PORT, { key: 'http-key-12' });
	const target = new SessionCollector();
	await withSource(createInput(input, target, context(input)), async () => {
		const url = `http://127.0.0.1:${HTTP_PORT}/up`;
		const bearer = (key: string) => ['-headers', `Authorization: Bearer ${key}\r\n`];
		assert.is.not(await push(['-f', 'mpegts', '-method', 'POST', ...bearer('wrong'), url]), 0);
		assert.is.not(await push(['-f', 'mpegts', '-method', 'POST', url]), 0);
		assert.is(target.packets, 0);
		assert.match(
			lastLog(/publish refused: http/) ?? '',
			/http default\/recording\/job-http from 127\.0\.0\.1: wrong or missing/,
		);
		assert.is(await push(['-f', 'mpegts', '-method', 'POST', ...bearer('http-key-12'), url]), 0);
		await waitFor(() => target.ends.length > 0, 5000, 'the end of the upload');
		assert.ok(target.packets > 50, `${target.packets} packets`);
		// ffmpeg's POST does not answer a challenge: Basic goes in a header, as encoders send it.
		const basic = Buffer.from('any:http-key-12').toString('base64');
		let before = target.packets;
		const headers = ['-headers', `Authorization: Basic ${basic}\r\n`];
		assert.is(await push(['-f', 'mpegts', '-method', 'POST', ...headers, url]), 0);
		await waitFor(() => target.packets > before + 50, 5000, 'media with Basic credentials');
		before = target.packets;
		assert.is(await push(['-f', 'mpegts', '-method', 'POST', `${url}?key=http-key-12`]), 0);
		await waitFor(() => target.packets > before + 50, 5000, 'media with ?key=');
	});
});

test("UDP listen: only the job's allowed source addresses publish; others are ignored and logged", async () => {
	const input = listenInput('udp', UDP_PORT, { sources: ['127.0.0.2'] });
	const target = new SessionCollector();
	await withSource(createInput(input, target, context(input)), async () => {
		const url = (from: string) => `udp://127.0.0.1:${UDP_PORT}?pkt_size=1316&localaddr=${from}`;
		assert.is(await push(['-f', 'mpegts', url('127.0.0.1')]), 0);
		assert.is(target.packets, 0);
		assert.match(lastLog(/publish refused: udp/) ?? '', /from 127\.0\.0\.1: address 127\.0\.0\.1 is not among/);
		assert.match(lastLog(/sender .* refused/) ?? '', /sender 127\.0\.0\.1:\d+ refused/);
		assert.is(await push(['-f', 'mpegts', url('127.0.0.2')]), 0);
		await waitFor(() => target.packets > 50, 5000, 'media from the allowed address');
	});
});

test("RTMP and RTSP listen jobs: the job's publish_key, user and password guard its own port", async () => {
	const rtmp = listenInput('rtmp', JOB_RTMP_PORT, { key: 'job-rtmp-key' });
	const rtmpTarget = new SessionCollector();
	await withSource(createInput(rtmp, rtmpTarget, context(rtmp)), async () => {
		const url = `rtmp://127.0.0.1:${JOB_RTMP_PORT}/any/name`;
		assert.is.not(await push(['-f', 'flv', `${url}?key=rtmp-key-123`]), 0, "another stream's key is no key here");
		assert.is(rtmpTarget.packets, 0);
		assert.is(await push(['-f', 'flv', `${url}?key=job-rtmp-key`]), 0);
		await waitFor(() => rtmpTarget.packets > 50, 5000, 'media with the job key');
	});
	const rtsp = listenInput('rtsp', JOB_RTSP_PORT, { user: 'cam', password: 'job-rtsp-pw' });
	const source = await withGlobalHeaders(MEDIA);
	const rtspTarget = new SessionCollector();
	await withSource(createInput(rtsp, rtspTarget, context(rtsp)), async () => {
		const url = (userinfo: string) => `rtsp://${userinfo}127.0.0.1:${JOB_RTSP_PORT}/any/name`;
		assert.is.not(await push(['-f', 'rtsp', '-rtsp_transport', 'tcp', url('cam:nope@')], source), 0);
		assert.is(rtspTarget.packets, 0);
		assert.is(await push(['-f', 'rtsp', '-rtsp_transport', 'tcp', url('cam:job-rtsp-pw@')], source), 0);
		await waitFor(() => rtspTarget.packets > 50, 5000, 'media with the job password (Digest)');
	});
});

test('RTMP behind an admission webhook: its allow and deny decide, a webhook that does not answer in time denies', async () => {
	const calls: Record<string, unknown>[] = [];
	const hook = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const body = JSON.parse(Buffer.concat(chunks).toString()) as { credentials: Record<string, string> };
			calls.push(body);
			const key = body.credentials['key'];
			if (key === 'slow') return; // never answers
			res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ allowed: key === 'hooked' }));
		});
	});
	await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
	const webhook = new AdmissionWebhook({
		url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/admit`,
		// Long enough for a loaded host to answer the allow and deny in time; the silent hook costs this once.
		timeoutMs: 3000,
	});
	const hooked = new PublishPolicy({ open: false, webhook, logger: linesLogger(log) });
	const bus = new StreamRegistry({ authorize: (r) => hooked.authorize(r) });
	const collector = new Collector();
	bus.subscribe(live('hooked'), collector);
	try {
		await withSource(new RtmpListener({ hub: bus, port: 0, logger: silentLogger }), async (listener) => {
			const url = `rtmp://127.0.0.1:${listener.port}/live/hooked`;
			assert.is.not(await push(['-f', 'flv', `${url}?key=other`]), 0);
			assert.match(lastLog(/publish refused: rtmp default\/live\/hooked/) ?? '', /webhook denied/);
			assert.is.not(await push(['-f', 'flv', `${url}?key=slow`]), 0);
			assert.match(lastLog(/publish refused: rtmp default\/live\/hooked/) ?? '', /no answer within 3000 ms/);
			assert.is(collector.packets.length, 0);
			assert.is(await push(['-f', 'flv', `${url}?key=hooked`]), 0);
			await waitFor(() => collector.packets.length > 50, 5000, 'media the webhook allowed');
			assert.equal(calls[0], {
				action: 'publish',
				protocol: 'rtmp',
				vhost: 'default',
				app: 'live',
				stream: 'hooked',
				remoteAddress: '127.0.0.1',
				credentials: { key: 'other' },
			});
		});
	} finally {
		hook.closeAllConnections();
		await new Promise<void>((resolve) => hook.close(() => resolve()));
	}
});

test.run();
