import { type ChildProcess, spawn } from 'node:child_process';

export type RunResult = { code: number | null; stdout: string; stderr: string };

/**
 * Runs a program to completion with a hard time limit; the process is killed by PID when the limit passes.
 * `env` adds to the environment the program inherits.
 */
export const run = (
	command: string,
	args: readonly string[],
	timeoutMs = 60_000,
	env: Readonly<Record<string, string>> = {},
): Promise<RunResult> =>
	new Promise((resolve, reject) => {
		const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
		const stdout: Buffer[] = [];
		const stderr: Buffer[] = [];
		child.stdout.on('data', (d: Buffer) => stdout.push(d));
		child.stderr.on('data', (d: Buffer) => stderr.push(d));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms`));
		}, timeoutMs);
		child.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({ code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
		});
	});

/** A long-running peer (ffmpeg publisher, server) that a test starts and must stop by PID. */
export class Peer {
	readonly child: ChildProcess;
	readonly #stderr: Buffer[] = [];
	readonly exited: Promise<number | null>;

	constructor(command: string, args: readonly string[], options: { stdin?: boolean } = {}) {
		this.child = spawn(command, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
		this.child.stderr?.on('data', (d: Buffer) => {
			if (this.#stderr.length < 2000) this.#stderr.push(d);
		});
		this.child.stdout?.resume();
		this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
	}

	get stderr(): string {
		return Buffer.concat(this.#stderr).toString();
	}

	/** Stops the process by PID: SIGTERM, then SIGKILL after `graceMs`. */
	async stop(graceMs = 3000): Promise<void> {
		if (this.child.exitCode !== null || this.child.signalCode !== null) return;
		this.child.kill('SIGTERM');
		const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
		await this.exited;
		clearTimeout(timer);
	}
}

/**
 * ffmpeg copying the streams of `input` to `output` (output options, then a URL or path; several
 * outputs may follow one another), paced in real time (`-re`) unless `realtime` is false.
 */
export const ffmpegCopy = (
	input: string,
	output: readonly string[],
	options: { realtime?: boolean; inputOptions?: readonly string[] } = {},
): Peer =>
	new Peer('ffmpeg', [
		'-nostdin',
		'-v',
		'error',
		...(options.realtime === false ? [] : ['-re']),
		...(options.inputOptions ?? []),
		'-i',
		input,
		'-c',
		'copy',
		...output,
	]);
