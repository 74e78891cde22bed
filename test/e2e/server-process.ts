import { issueAccessJwt } from '../../src/api/auth.ts';
import { ffmpegCopy, Peer } from '../helpers/process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { sleep, waitUntil } from '../helpers/wait.ts';

export { sleep };

export const ACCESS_TOKEN = 'e2e-secret';
// The child inherits the environment: the server signs with this token instead of generating one.
process.env['TAPEDECK_ACCESS_TOKEN'] = ACCESS_TOKEN;

export const newDataDir = (): string => tempDir('e2e');

export type Server = {
	readonly peer: Peer;
	readonly url: string;
	api<T = Record<string, unknown>>(endpoint: string, body?: unknown, method?: string): Promise<T>;
};

/**
 * Starts the server and waits (≤ 15 s) until the API answers. `extraArgs` come last, so they override
 * (e.g. `--rtmp-port <a free port>` turns the RTMP listener on). `command`
 * runs another form of tapedeck (the bundle, the single executable) instead of the sources.
 */
export const startServer = async (
	port: number,
	dataDir: string,
	extraArgs: readonly string[] = [],
	command: readonly [string, ...string[]] = ['node', 'src/cli/bin.mjs'],
): Promise<Server> => {
	// The built-in protocol listeners are off: their default ports may be taken by other tests.
	const [program, ...programArgs] = command;
	const peer = new Peer(program, [
		...programArgs,
		'serve',
		'--host',
		'127.0.0.1',
		'--port',
		String(port),
		'--data',
		dataDir,
		'--rtmp-port',
		'0',
		'--srt-port',
		'0',
		'--rtsp-port',
		'0',
		...extraArgs,
	]);
	return waitForApi(peer, `http://127.0.0.1:${port}`);
};

/**
 * Waits (≤ 15 s) until the API of a server `peer` started answers at `url`, and returns its client; stops the peer
 * and throws when it exits or never answers.
 */
export const waitForApi = async (peer: Peer, url: string): Promise<Server> => {
	const token = await issueAccessJwt(ACCESS_TOKEN, 1);
	const api = async <T>(endpoint: string, body?: unknown, method = 'POST'): Promise<T> => {
		const response = await fetch(`${url}/api/recording/${endpoint}`, {
			method,
			headers: { 'x-access-token': token, 'content-type': 'application/json' },
			body: body === undefined ? '' : JSON.stringify(body),
		});
		const json = (await response.json()) as T;
		if (!response.ok) throw new Error(`${endpoint} → ${response.status} ${JSON.stringify(json)}`);
		return json;
	};
	const answers = async (): Promise<boolean> => {
		if (peer.child.exitCode !== null) throw new Error(`server exited: ${peer.stderr}`);
		return fetch(`${url}/api/openapi.json`).then(
			(r) => r.ok,
			() => false,
		);
	};
	try {
		await waitUntil('the server to answer', answers, 60_000);
	} catch (error) {
		await peer.stop();
		throw new Error(`server did not start (${(error as Error).message}): ${peer.stderr}`);
	}
	return { peer, url, api };
};

/** Polls `probe` until it returns true, or fails naming `what` after `timeoutMs`. */
export const waitFor = (what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> =>
	waitUntil(what, probe, timeoutMs);

export type FileView = {
	id: string;
	path: string;
	name: string;
	size: number;
	duration: number;
	sequence: number;
	state: string;
	start_time: string;
};
export type RecordingView = {
	id: string;
	state: string;
	state_reason: string;
	active: boolean;
	recordedFiles: FileView[];
};

/** ffmpeg sending a file in real time (`-re`), stream-copied, to `output` in `format`. */
export const pushWithFfmpeg = (input: string, format: 'mpegts' | 'flv', output: string, extra: string[] = []): Peer =>
	ffmpegCopy(input, ['-f', format, output], { inputOptions: extra });
