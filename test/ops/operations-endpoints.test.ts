/**
 * The operator endpoints of a real `serve` (in process, ports from the OS) while real ffmpeg publishers push
 * over RTMP and SRT: `/metrics` is strict Prometheus text whose bitrate matches the publisher's within 10 %, with
 * per-stream, SRT and per-job series that leave when their stream or job does; `/healthz` needs no token;
 * `/readyz` says 503 and why when the disk floor is above the free space; `/metrics` asks for the token only when
 * configured; `/api/streams` lists a live publisher's tracks.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { type RunningServer, startServer } from '../../src/cli/serve.ts';
import { loadAccessToken, loadServeConfig, type ServeConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { LiveStreamView } from '../../src/ops/metrics/live-stream-list.ts';
import { freePort } from '../helpers/ports.ts';
import { ffmpegCopy, type Peer, run } from '../helpers/process.ts';
import { type Family, parsePrometheusText, sampleValue } from '../helpers/prometheus-text.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { sleep, waitFor, waitUntil } from '../helpers/wait.ts';

type Started = { server: RunningServer; secret: string; jwt: string; rtmpPort: number; srtPort: number };

const start = async (operations: (config: ServeConfig) => Partial<ServeConfig['operations']> = () => ({})) => {
	const flags = ['--port', '0', '--data', tempDir('ops'), '--rtsp-port', '0'];
	const rtmpPort = await freePort();
	const srtPort = await freePort('udp');
	const config = loadServeConfig([...flags, '--rtmp-port', String(rtmpPort), '--srt-port', String(srtPort)], {});
	const token = loadAccessToken(config.dataDir, {});
	const configured = { ...config, operations: { ...config.operations, ...operations(config) } };
	const server = await startServer(configured, token, { logger: silentLogger });
	const jwt = await issueAccessJwt(token.secret, 1);
	return { server, secret: token.secret, jwt, rtmpPort, srtPort } satisfies Started;
};

const get = (on: Started, path: string, headers: Record<string, string> = {}) =>
	fetch(`${on.server.url}${path}`, { headers });

const scrape = async (on: Started, headers: Record<string, string> = {}): Promise<Map<string, Family>> => {
	const response = await get(on, '/metrics', headers);
	assert.is(response.status, 200);
	assert.match(response.headers.get('content-type') ?? '', 'text/plain; version=0.0.4');
	return parsePrometheusText(await response.text());
};

const liveStreams = async (on: Started): Promise<LiveStreamView[]> => {
	const response = await get(on, '/api/streams', { authorization: `Bearer ${on.secret}` });
	assert.is(response.status, 200);
	return ((await response.json()) as { streams: LiveStreamView[] }).streams;
};

/** Seconds of the source media, and of the span its bitrate is measured over. */
const SOURCE_S = 16;
const MEASURED_MS = 8000;

/**
 * SOURCE_S of 320x240 H.264 (capped at 400 kbit/s) and AAC 48 kHz in FLV, and its media bitrate between two media
 * times, from the packets ffprobe lists (one second of it strays up to 10 % from the average).
 */
type Source = { path: string; bitsPerSecond: (fromS: number, toS: number) => number };
let made: Promise<Source> | undefined;
const source = (): Promise<Source> => {
	made ??= makeSource();
	return made;
};

const makeSource = async (): Promise<Source> => {
	const path = join(tempDir('ops-media'), 'source.flv');
	const encoded = await run('ffmpeg', [
		...`-nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=${SOURCE_S}`.split(' '),
		...`-f lavfi -i sine=frequency=440:sample_rate=48000:duration=${SOURCE_S}`.split(' '),
		...'-c:v libx264 -preset veryfast -g 25 -b:v 400k -maxrate 400k -bufsize 200k -pix_fmt yuv420p'.split(' '),
		...'-c:a aac -b:a 64k -ar 48000 -ac 2 -f flv'.split(' '),
		path,
	]);
	assert.is(encoded.code, 0, encoded.stderr);
	const probed = await run('ffprobe', '-v error -show_entries packet=size,dts_time -of json'.split(' ').concat(path));
	const { packets } = JSON.parse(probed.stdout) as { packets: { size: string; dts_time: string }[] };
	const bitsPerSecond = (fromS: number, toS: number) => {
		const inside = packets.filter((p) => Number(p.dts_time) >= fromS && Number(p.dts_time) < toS);
		return (inside.reduce((sum, p) => sum + Number(p.size), 0) * 8) / (toS - fromS);
	};
	return { path, bitsPerSecond };
};

let main: Started;
let guarded: Started;
const peers: Peer[] = [];

test.before(async () => {
	main = await start(() => ({ retention: { minFreeBytes: 0, jobs: {}, checkIntervalMs: 60_000 } }));
	guarded = await start(() => ({
		metrics: { requireToken: true },
		retention: { minFreeBytes: Number.MAX_SAFE_INTEGER, jobs: {}, checkIntervalMs: 60_000 },
	}));
});

test.after(async () => {
	for (const peer of peers) await peer.stop();
	await main?.server.close();
	await guarded?.server.close();
});

test('/healthz answers without credentials; /readyz is 200 with every check ready', async () => {
	for (const on of [main, guarded]) {
		const health = await get(on, '/healthz');
		assert.is(health.status, 200);
		assert.is(((await health.json()) as { status: string }).status, 'ok');
	}
	const ready = await get(main, '/readyz');
	const report = (await ready.json()) as { ready: boolean; notReady: string[]; checks: { name: string }[] };
	assert.is(ready.status, 200, JSON.stringify(report));
	assert.equal(report.notReady, []);
	assert.equal(report.checks.map((check) => check.name).sort(), ['disk', 'listeners', 'store']);
	const document = (await (await get(main, '/api/openapi.json')).json()) as { paths: Record<string, unknown> };
	for (const path of ['/healthz', '/readyz', '/metrics', '/api/streams']) assert.ok(document.paths[path], path);
});

test('/readyz is 503 and names the disk when the free-space floor is above the free space', async () => {
	const response = await get(guarded, '/readyz');
	assert.is(response.status, 503);
	const report = (await response.json()) as { ready: boolean; notReady: string[] };
	assert.is(report.ready, false);
	assert.is(report.notReady.length, 1, JSON.stringify(report));
	assert.match(report.notReady[0]!, /free on the recordings disk, floor .*retention\.minFreeBytes/);
});

test('/metrics needs the token only when configured: Bearer <access token> or an x-access-token JWT', async () => {
	await scrape(main);
	assert.is((await get(guarded, '/metrics')).status, 401);
	assert.is((await get(guarded, '/metrics', { authorization: 'Bearer wrong' })).status, 401);
	await scrape(guarded, { authorization: `Bearer ${guarded.secret}` });
	await scrape(guarded, { 'x-access-token': guarded.jwt });
	// The streams list always asks for them.
	assert.is((await get(main, '/api/streams')).status, 401);
	assert.is((await get(main, '/api/streams', { 'x-access-token': main.jwt })).status, 200);
});

test('an idle server exports process, disk and job-free figures as strict Prometheus text', async () => {
	const families = await scrape(main);
	for (const name of [
		'process_resident_memory_bytes',
		'nodejs_eventloop_lag_seconds',
		'nodejs_gc_duration_seconds',
		'tapedeck_recordings_disk_free_bytes',
		'tapedeck_recordings_disk_total_bytes',
	]) {
		assert.ok(families.has(name), `${name} exported`);
	}
	const free = sampleValue(families, 'tapedeck_recordings_disk_free_bytes')!;
	const total = sampleValue(families, 'tapedeck_recordings_disk_total_bytes')!;
	assert.ok(free > 0 && free <= total, `free ${free} of ${total}`);
	assert.equal(families.get('tapedeck_stream_received_bytes_total')?.samples, []);
});

/** Waits for `name` to be listed with both its tracks; the failure says what was listed and what ffmpeg said. */
const listed = async (on: Started, name: string, publisher: Peer): Promise<LiveStreamView> => {
	let streams: LiveStreamView[] = [];
	const view = () => streams.find((s) => s.name === name && s.tracks.length === 2 && s.publisher.bytes > 0);
	await waitFor(async () => {
		streams = await liveStreams(on);
		return view() !== undefined;
	}, 30_000);
	assert.ok(view(), `${name} not listed: ${JSON.stringify(streams)}; ffmpeg: ${publisher.stderr}`);
	return view()!;
};

test("an RTMP publisher: listed with its tracks, bitrate within 10 %, its job's series; gone when it ends", async () => {
	const { path, bitsPerSecond } = await source();
	const cam = { vhost: 'default', app: 'live', stream: 'cam' };
	const created = await fetch(`${main.server.url}/api/recording/create`, {
		method: 'POST',
		headers: { 'x-access-token': main.jwt, 'content-type': 'application/json' },
		body: JSON.stringify({
			recording_name: 'metrics-job',
			recording_type: 'RECORDING_STREAM_TO_FILE',
			input: { input_type: 'INPUT_TYPE_RTMP_SOFTWARE', input_module_id: 'rtmp', input_stream_id: 'live/cam' },
			output_format: 'ts',
			active: true,
		}),
	});
	assert.is(created.status, 200);
	const job = { job_name: 'metrics-job', dialect: 'callaba' };
	const rtmp = ffmpegCopy(path, ['-f', 'flv', `rtmp://127.0.0.1:${main.rtmpPort}/live/cam`]);
	peers.push(rtmp);

	const listing = await listed(main, 'default/live/cam', rtmp);
	assert.equal(listing.tracks, [
		{ id: 1, kind: 'video', codec: 'h264', name: 'video', width: 320, height: 240 },
		{ id: 2, kind: 'audio', codec: 'aac', name: 'audio', sampleRate: 48_000, channels: 2 },
	]);
	assert.is(listing.publisher.protocol, 'rtmp');
	assert.match(listing.publisher.remoteAddress ?? '', '127.0.0.1');
	assert.is(listing.subscribers, 1);

	// Two scrapes eight seconds apart, once the publisher has run for two, against what it sent over the same
	// span: ffmpeg -re sends media time t about t seconds after its session started.
	const since = Date.parse(listing.publisher.since!);
	await waitUntil('two seconds of publishing', () => Date.now() - since >= 2000, 10_000);
	const first = await scrape(main);
	const firstAt = Date.now();
	await sleep(MEASURED_MS); // the span measured
	const second = await scrape(main);
	const secondAt = Date.now();
	const mediaS = (at: number) => (at - since) / 1000;
	assert.ok(mediaS(secondAt) < SOURCE_S - 1, `measured past the source's end: ${mediaS(secondAt)} s`);
	const bytes = (families: Map<string, Family>) => sampleValue(families, 'tapedeck_stream_received_bytes_total', cam);
	const rate = ((bytes(second)! - bytes(first)!) * 8 * 1000) / (secondAt - firstAt);
	const gauge = sampleValue(second, 'tapedeck_stream_bitrate_bits_per_second', cam)!;
	for (const [what, measured, published] of [
		['rate() of the bytes counter', rate, bitsPerSecond(mediaS(firstAt), mediaS(secondAt))],
		// The gauge averages the last five to six seconds.
		['bitrate gauge', gauge, bitsPerSecond(mediaS(secondAt) - 5.5, mediaS(secondAt))],
	] as const) {
		const error = Math.abs(measured - published) / published;
		assert.ok(error < 0.1, `${what}: ${Math.round(measured)} bit/s, the publisher sent ${Math.round(published)}`);
	}
	assert.ok(sampleValue(second, 'tapedeck_stream_received_packets_total', cam)! > 0);
	assert.is(sampleValue(second, 'tapedeck_stream_dropped_packets_total', cam), 0);
	assert.is(sampleValue(second, 'tapedeck_stream_subscribers', cam), 1);
	assert.is(sampleValue(second, 'tapedeck_srt_rtt_seconds', cam), undefined, 'no SRT figures for RTMP');

	// The job recording live/cam: its state, and bytes written as it goes.
	assert.is(sampleValue(second, 'tapedeck_job_state', { ...job, state: 'recording' }), 1);
	assert.is(sampleValue(second, 'tapedeck_job_state', { ...job, state: 'ready' }), 0);
	assert.ok(sampleValue(second, 'tapedeck_job_written_bytes_total', job)! > 0);
	assert.is(sampleValue(second, 'tapedeck_job_files', job), 1);

	// The publisher gone: its stream leaves the list and the output; the job's file is closed and counted.
	await rtmp.stop();
	await waitUntil('the stream left', async () => (await liveStreams(main)).length === 0, 15_000);
	assert.is(sampleValue(await scrape(main), 'tapedeck_stream_received_bytes_total', cam), undefined);
	const [jobId] = main.server.service.list().map((j) => j.id);
	await main.server.service.stop(jobId!);
	const files = main.server.service.files(jobId!);
	const finished = await scrape(main);
	assert.is(sampleValue(finished, 'tapedeck_job_state', { ...job, state: 'stopped' }), 1);
	assert.is(sampleValue(finished, 'tapedeck_job_files_closed_total', { ...job, outcome: 'completed' }), files.length);
	const onDisk = files.reduce((sum, file) => sum + statSync(file.path).size, 0);
	assert.is(sampleValue(finished, 'tapedeck_job_written_bytes_total', job), onDisk);
}, 90_000);

test('an SRT publisher: its connection figures per stream, in the output and the list, while it publishes', async () => {
	const { path } = await source();
	const srtCam = { vhost: 'default', app: 'live', stream: 'srtcam' };
	const url = `srt://127.0.0.1:${main.srtPort}?streamid=#!::r=live/srtcam,m=publish`;
	const srt = ffmpegCopy(path, ['-f', 'mpegts', url]);
	peers.push(srt);
	const listing = await listed(main, 'default/live/srtcam', srt);
	assert.is(listing.publisher.protocol, 'srt');
	assert.match(listing.publisher.remoteAddress ?? '', '127.0.0.1');
	assert.type(listing.publisher.connection?.['rttMs'], 'number');
	const families = await scrape(main);
	assert.ok(sampleValue(families, 'tapedeck_srt_rtt_seconds', srtCam)! >= 0);
	for (const name of ['lost', 'retransmitted', 'dropped']) {
		assert.type(sampleValue(families, `tapedeck_srt_packets_${name}_total`, srtCam), 'number', name);
	}
	await srt.stop();
	await waitUntil('the stream left', async () => (await liveStreams(main)).length === 0, 15_000);
	assert.is(sampleValue(await scrape(main), 'tapedeck_srt_rtt_seconds', srtCam), undefined);
}, 90_000);

test.run();
