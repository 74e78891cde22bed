/**
 * A form of `tapedeck serve` (npm start, the bin, the single executable) recording a real RTMP publisher into MP4,
 * stopped by signals sent to the process the user started, as Docker, systemd or Ctrl-C do: what it left behind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { pushWithFfmpeg, type RecordingView, waitFor, waitForApi } from '../e2e/server-process.ts';
import { decodeErrors, ffprobeErrors, formatDuration } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { Peer } from '../helpers/process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { waitFor as poll } from '../helpers/wait.ts';

export type AfterSignal = {
	/** The started process's exit code, and the signal that killed it if one did. */
	readonly code: number | null;
	readonly killedBy: NodeJS.Signals | null;
	/** Every process the started one had made (npm's shell, node, …) that still runs after it exited. */
	readonly survivors: readonly number[];
	/** Every file left under the data folder's recordings/. */
	readonly files: readonly string[];
	readonly output: string;
};

/** The PIDs under `pid` (children, grandchildren, …), read from /proc. */
export const descendants = (pid: number): number[] => {
	const children = new Map<number, number[]>();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		let stat = '';
		try {
			stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
		} catch {
			continue; // gone meanwhile
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
		const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
		children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
	}
	const found: number[] = [];
	const visit = (parent: number): void => {
		for (const child of children.get(parent) ?? []) {
			found.push(child);
			visit(child);
		}
	};
	visit(pid);
	return found;
};

const alive = (pid: number): boolean => {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
};

const filesUnder = (dir: string): string[] =>
	readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile())
		.map((entry) => join(entry.parentPath, entry.name));

/**
 * Starts `command` followed by serve's options (its own data folder, API and RTMP ports from the OS), records an
 * RTMP publisher into MP4 until two seconds are written, sends `signals` to the started process (one after the
 * other, as a terminal and npm deliver Ctrl-C), and waits (≤ 30 s) for it to exit.
 */
export const recordUntilSignal = async (
	command: readonly [string, ...string[]],
	signals: readonly NodeJS.Signals[],
): Promise<AfterSignal> => {
	const data = tempDir('signal');
	const [port, rtmpPort] = [await freePort(), await freePort()];
	const [program, ...args] = command;
	const options = ['--host', '127.0.0.1', '--port', String(port), '--data', data, '--rtmp-port', String(rtmpPort)];
	const peer = new Peer(program, [...args, ...options, '--srt-port', '0', '--rtsp-port', '0']);
	let stdout = '';
	peer.child.stdout?.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	let push: Peer | undefined;
	let started: number[] = [];
	try {
		const server = await waitForApi(peer, `http://127.0.0.1:${port}`);
		const { id } = await server.api<{ id: string }>('create', {
			recording_name: 'until a signal',
			recording_type: 'RECORDING_STREAM_TO_FILE',
			input: { input_type: 'INPUT_TYPE_RTMP_SOFTWARE', input_module_id: 'rtmp', input_stream_id: 'live/cam' },
			output_format: 'mp4',
			active: true,
		});
		push = pushWithFfmpeg(fixture('h264-aac48'), 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/cam`, [
			'-stream_loop',
			'-1',
		]);
		const recorded = async () =>
			((await server.api<RecordingView>('getById', { id })).recordedFiles[0]?.duration ?? 0) >= 2;
		await waitFor('two seconds recorded', recorded, 20_000);
		started = [peer.child.pid ?? 0, ...descendants(peer.child.pid ?? 0)];
		const [first, ...repeats] = signals;
		if (first) peer.child.kill(first);
		// A repeat comes once the first is being handled (its handler printed): a handler that removed itself
		// would leave the repeat to the default action, which kills.
		if (repeats.length > 0) await waitFor('the server to say it is finalizing', async () => /finalizing/.test(stdout));
		for (const signal of repeats) peer.child.kill(signal);
		const exited = await poll(() => peer.child.exitCode !== null || peer.child.signalCode !== null, 30_000);
		if (!exited) throw new Error(`still running 30 s after ${signals.join(', ')}: ${peer.stderr}`);
		await peer.exited;
		return {
			code: peer.child.exitCode,
			killedBy: peer.child.signalCode,
			survivors: await survivorsOf(started),
			files: filesUnder(join(data, 'recordings')),
			output: peer.stderr,
		};
	} finally {
		await push?.stop();
		await peer.stop();
		for (const pid of started.filter(alive)) process.kill(pid, 'SIGKILL');
	}
};

/** Those of `pids` still running after a short grace (a process exiting right after its parent). */
const survivorsOf = async (pids: readonly number[]): Promise<number[]> => {
	await poll(() => !pids.some(alive), 5000);
	return pids.filter(alive);
};

/** Exit 0 by itself, nothing left running, one complete MP4 (no `.part`) that plays: what a user checks. */
export const assertFinalized = async (after: AfterSignal): Promise<void> => {
	assert.is(after.killedBy, null, `killed by ${after.killedBy}: ${after.output}`);
	assert.is(after.code, 0, after.output);
	assert.equal(after.survivors, [], 'every process it started has exited');
	assert.equal(
		after.files.filter((file) => file.endsWith('.part')),
		[],
	);
	const mp4s = after.files.filter((file) => file.endsWith('.mp4'));
	assert.is(mp4s.length, 1, after.files.join(', '));
	const mp4 = mp4s[0]!;
	assert.is(await ffprobeErrors(mp4), '');
	assert.is(await decodeErrors(mp4), '');
	assert.ok((await formatDuration(mp4)) >= 1.5, `duration ${await formatDuration(mp4)} s`);
};
