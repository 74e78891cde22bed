/**
 * The program run for each completed file (MediaMTX's `runOnRecordSegmentComplete`, nginx-rtmp's
 * `exec_record_done`): started with execFile, no shell, so nothing in a file or stream name is ever
 * interpreted; the file's details are in its environment (`TAPEDECK_FILE_PATH`, …). It is killed
 * after its time limit, and a failure (not found, non-zero exit, killed) is logged with the end of
 * its stderr. The server's own `TAPEDECK_*` variables (the access token among them) are not passed on.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import type { Logger } from '../../core/logger.ts';
import type { WebhookEvent } from './webhook-event.ts';

/** Output kept from the program; beyond it the program is killed (its output is for the log only). */
const MAX_OUTPUT_BYTES = 1 << 20;

/** The end of stderr a failure's log line quotes. */
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
		let exited: () => void = () => {};
		const done = new Promise<void>((resolve) => {
			exited = resolve;
		});
		const child = execFile(
			program,
			[],
			{ env: fileCommandEnv(event), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES },
			(error, _stdout, stderr) => {
				this.#running.delete(child);
				exited();
				if (!error) {
					logger.info(
						{ event: 'webhook.command_completed', program, path, eventId: event.id },
						`${program} done for ${path}`,
					);
					return;
				}
				const reason = error.killed
					? `killed after ${timeoutMs} ms`
					: error.code === undefined || typeof error.code === 'number'
						? `exit ${error.code ?? error.signal}`
						: error.message;
				logger.warn(
					{
						event: 'webhook.command_failed',
						program,
						path,
						eventId: event.id,
						reason,
						stderr: String(stderr).slice(-STDERR_TAIL),
					},
					`${program} failed for ${path}: ${reason}`,
				);
			},
		);
		this.#running.set(child, done);
	}

	/** Resolves once no program is running. */
	async idle(): Promise<void> {
		await Promise.all(this.#running.values());
	}

	/** Kills the programs still running (their failure is logged) and waits for them. */
	async stop(): Promise<void> {
		for (const child of this.#running.keys()) child.kill('SIGKILL');
		await this.idle();
	}
}

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
