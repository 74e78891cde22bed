/**
 * A UDP listen input belongs to its first sender until that sender is quiet: a second ffmpeg sending
 * into the same port meanwhile is counted, logged and ignored, and the first sender's recording is
 * frame-complete (ffprobe's packet counts of the recorded file equal those of a local copy of what
 * the first sender sent). A real server in this process, its Callaba API, a UDP port from the OS.
 */
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { type RunningServer, startServer } from '../../src/cli/serve.ts';
import { loadServeConfig } from '../../src/config/load.ts';
import { probeStreams } from '../helpers/media-check.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { freePort } from '../helpers/ports.ts';
import { ffmpegCopy, type Peer } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { waitUntil } from '../helpers/wait.ts';

const UDP_PORT = await freePort('udp');
const SECRET = 'udp-lock-test-secret';

test('two senders into one UDP listen port: the first one is recorded frame-complete, the second ignored', async () => {
	const dataDir = tempDir('udp-lock');
	// An API on a free port, the built-in listeners off: only the job's own UDP port is used.
	const ports = ['port', 'rtmp-port', 'srt-port', 'rtsp-port'].flatMap((name) => [`--${name}`, '0']);
	const config = loadServeConfig(['--host', '127.0.0.1', '--data', dataDir, ...ports], {});
	const log: string[] = [];
	const server: RunningServer = await startServer(
		config,
		{ secret: SECRET, generated: false, path: undefined },
		{ logger: linesLogger(log) },
	);
	const token = await issueAccessJwt(SECRET, 1);
	const api = async <T>(endpoint: string, body: unknown): Promise<T> => {
		const response = await fetch(`${server.url}/api/recording/${endpoint}`, {
			method: 'POST',
			headers: { 'x-access-token': token, 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		return (await response.json()) as T;
	};
	const copy = join(dataDir, 'first-sender.ts');
	let first: Peer | undefined;
	let second: Peer | undefined;
	try {
		const { id } = await api<{ id: string }>('create', {
			recording_name: 'udp lock',
			recording_type: 'RECORDING_STREAM_TO_FILE',
			input: { input_type: 'INPUT_TYPE_UDP_LISTEN', input_stream_listen_port: { port: UDP_PORT, transport: 'UDP' } },
			output_format: 'ts',
			active: true,
		});
		assert.ok(id, 'job created, its port bound');
		first = ffmpegCopy(
			fixture('h264-aac48'),
			['-f', 'mpegts', `udp://127.0.0.1:${UDP_PORT}?pkt_size=1316`, '-c', 'copy', '-f', 'mpegts', '-y', copy],
			{ inputOptions: ['-t', '3'] },
		);
		const state = async () => (await api<{ state: string }>('getById', { id })).state;
		await waitUntil('the first sender is being recorded', async () => (await state()) === 'recording', 5000);
		second = ffmpegCopy(
			fixture('h264-aac48'),
			['-f', 'mpegts', `udp://127.0.0.1:${UDP_PORT}?pkt_size=1316&localaddr=127.0.0.2`],
			{ inputOptions: ['-t', '1.5'] },
		);
		assert.is(await first.exited, 0, first.stderr);
		assert.is(await second.exited, 0, second.stderr);
		assert.ok(
			log.some((line) => /datagrams from 127\.0\.0\.2:\d+ ignored: the input belongs to 127\.0\.0\.1:\d+/.test(line)),
			log.join('\n'),
		);
		await api('stop', { id });
		const view = await api<{ recordedFiles: { path: string }[] }>('getById', { id });
		assert.is(view.recordedFiles.length, 1, JSON.stringify(view.recordedFiles));
		const recorded = await probeStreams(view.recordedFiles[0]!.path);
		const sent = await probeStreams(copy);
		for (const kind of ['video', 'audio']) {
			const r = recorded.find((s) => s.codecType === kind);
			const s = sent.find((s) => s.codecType === kind);
			assert.is(r?.packets, s?.packets, `${kind} packets recorded vs sent by the first sender`);
		}
	} finally {
		await first?.stop();
		await second?.stop();
		await server.close();
	}
});

test.run();
