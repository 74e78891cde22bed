/**
 * The program run for each completed file (MediaMTX's `runOnRecordSegmentComplete`, nginx-rtmp's
 * `exec_record_done`): started without a shell (as execFile does), so nothing in a file or stream
 * name is ever interpreted; the file's details are in its environment (`TAPEDECK_FILE_PATH`, …).
 * It is killed, with what it started, after its time limit or at shutdown, and a failure (not
 * found, non-zero exit, killed) is logged with the end of its stderr. The server's own `TAPEDECK_*`
 * variables (the access token among them) are not passed on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '../../core/logger.ts';
import type { WebhookEvent } from './webhook-event.ts';

/** The end of stderr a failure's log line quotes (stdout is not read: the log is no place for a program's output). */
const STDERR_TAIL = 500;

export type FileCompletedCommandOptions = {
	readonly program: string;
	readonly timeoutMs: number;
	readonly logger: Logger;
};

export class FileCompletedCommand {
	readonly #options: FileCompletedCommandOptions;
	readonly #running = new Map<ChildProcess, Promise<void>>();

	constructor(options: FileCompletedCommandOptions) {
		this.#options = options;
	}

	/** Starts the program for a `file.completed` event; it runs on its own. */
	run(event: WebhookEvent): void {
		const { program, timeoutMs, logger } = this.#options;
		const path = event.file?.absolutePath;
		const fields = { program, path, eventId: event.id };
		// Its own process group (detached): at the time limit the program goes with whatever it started.
		const child = spawn(program, [], {
			env: fileCommandEnv(event),
			detached: true,
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		let stderr = '';
		child.stderr?.setEncoding('utf8').on('data', (text: string) => {
			stderr = (stderr + text).slice(-STDERR_TAIL);
		});
		let failure: string | undefined;
		const timer = setTimeout(() => {
			failure = `killed after ${timeoutMs} ms`;
			killGroup(child);
		}, timeoutMs);
		timer.unref();
		const done = new Promise<void>((resolve) => {
			// 'error' when it could not start (ENOENT, EACCES); 'close' follows it, or the end of a run and of its stderr.
			child.once('error', (error: NodeJS.ErrnoException) => {
				failure ??= error.code ?? error.message;
			});
			child.once('close', (code, signal) => {
				if (code !== 0) failure ??= signal ? `killed by ${signal}` : `exit ${code}`;
				resolve();
			});
		}).then(() => {
			clearTimeout(timer);
			this.#running.delete(child);
			if (failure === undefined) {
				logger.info({ event: 'webhook.command_completed', ...fields }, `${program} done for ${path}`);
			} else {
				logger.warn(
					{ event: 'webhook.command_failed', ...fields, reason: failure, stderr },
					`${program} failed for ${path}: ${failure}`,
				);
			}
		});
		this.#running.set(child, done);
	}

	/** Resolves once no program is running. */
	async idle(): Promise<void> {
		await Promise.all(this.#running.values());
	}

	/** Kills the programs still running (their failure is logged) and waits for them. */
	async stop(): Promise<void> {
		for (const child of this.#running.keys()) killGroup(child);
		await this.idle();
	}
}

/** Kills the program's process group; one that is gone already is fine. */
const killGroup = (child: ChildProcess): void => {
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, 'SIGKILL');
	} catch {
		// exited meanwhile
	}
};

/** The program's environment: the server's, without its `TAPEDECK_*` settings, and the event's details. */
export const fileCommandEnv = (event: WebhookEvent, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => {
	const env: NodeJS.ProcessEnv = {};
	for (const [name, value] of Object.entries(base)) if (!name.startsWith('TAPEDECK_')) env[name] = value;
	const { file, job } = event;
	return {
		...env,
		TAPEDECK_EVENT_ID: event.id,
		TAPEDECK_JOB_ID: job.id,
		TAPEDECK_JOB_NAME: job.name,
		TAPEDECK_STREAM: job.stream,
		...(file && {
			TAPEDECK_FILE_ID: file.id,
			TAPEDECK_FILE_PATH: file.absolutePath,
			TAPEDECK_FILE_RELATIVE_PATH: file.path,
			TAPEDECK_FILE_STATE: file.state,
			TAPEDECK_FILE_BYTES: String(file.bytes),
			TAPEDECK_FILE_DURATION_MS: String(file.durationMs),
			TAPEDECK_FILE_SEQUENCE: String(file.sequence),
			TAPEDECK_FILE_STARTED_AT: file.startedAt,
			TAPEDECK_FILE_ENDED_AT: file.endedAt ?? '',
			TAPEDECK_FILE_CODECS: file.codecs.join(','),
		}),
	};
};
