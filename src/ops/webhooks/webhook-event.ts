/**
 * What a webhook receiver gets: one JSON body per recorder event, with an id that stays the same on
 * every retry (receivers dedupe by it). Built once per event, it is stored as the exact bytes sent,
 * so a retry after a restart carries the same body and the same signature.
 *
 * Jobs' inputs can hold stream passwords, SRT passphrases and keys: the body shows the input masked
 * as the APIs show it, and texts that may quote it (a state reason, a file error) with its secrets masked.
 */
import { randomUUID } from 'node:crypto';
import { isAbsolute, relative, sep } from 'node:path';
import { type InputSpec, maskInput, maskSecretsIn } from '../../core/input-spec.ts';
import { formatStreamKey } from '../../core/stream-hub.ts';
import type { RecorderEvent } from '../../recorder/recorder-events.ts';
import type { RecordingJob } from '../../recorder/recording-job.ts';
import type { RecordedFile } from '../../recorder/recording-spec.ts';

export type WebhookEventType = RecorderEvent['type'];

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [
	'file.started',
	'file.completed',
	'file.failed',
	'file.deleted',
	'job.state',
];

export type WebhookJob = {
	readonly id: string;
	readonly name: string;
	readonly dialect: string;
	/** The bus stream recorded, `vhost/app/stream`. */
	readonly stream: string;
	readonly format: string;
	readonly active: boolean;
	readonly state: string;
	readonly reason: string;
	readonly transactionId: string;
	readonly input?: InputSpec;
};

export type WebhookFile = {
	readonly id: string;
	readonly sequence: number;
	/** Relative to the recordings folder, `/`-separated. */
	readonly path: string;
	readonly absolutePath: string;
	readonly state: RecordedFile['state'];
	readonly bytes: number;
	readonly durationMs: number;
	readonly startedAt: string;
	readonly endedAt?: string;
	readonly codecs: readonly string[];
	readonly error?: string;
};

/** The body of every delivery of one event. */
export type WebhookEvent = {
	readonly id: string;
	readonly type: WebhookEventType;
	/** When the recorder reported it (ISO 8601). */
	readonly createdAt: string;
	readonly job: WebhookJob;
	readonly file?: WebhookFile;
	/** `file.deleted`: the rule that deleted it. */
	readonly reason?: string;
};

/** The receiver's view of a recorder event; `id` is new unless given. */
export const webhookEventOf = (
	event: RecorderEvent,
	recordingsRoot: string,
	createdAt: Date,
	id: string = randomUUID(),
): WebhookEvent => ({
	id,
	type: event.type,
	createdAt: createdAt.toISOString(),
	job: jobOf(event.job),
	...(event.type === 'job.state' ? {} : { file: fileOf(event.file, event.job.input, recordingsRoot) }),
	...(event.type === 'file.deleted' ? { reason: event.reason } : {}),
});

const jobOf = (job: RecordingJob): WebhookJob => ({
	id: job.id,
	name: job.name,
	dialect: job.dialect,
	stream: formatStreamKey(job.key),
	format: job.format,
	active: job.active,
	state: job.state,
	reason: maskSecretsIn(job.reason, job.input),
	transactionId: job.transactionId,
	...(job.input ? { input: maskInput(job.input) } : {}),
});

const fileOf = (file: RecordedFile, input: InputSpec | undefined, recordingsRoot: string): WebhookFile => ({
	id: file.id,
	sequence: file.sequence,
	path: relativePath(recordingsRoot, file.path),
	absolutePath: file.path,
	state: file.state,
	bytes: file.bytes,
	durationMs: file.durationMs,
	startedAt: file.startedAt,
	...(file.endedAt === undefined ? {} : { endedAt: file.endedAt }),
	codecs: file.codecs ?? [],
	...(file.error === undefined ? {} : { error: maskSecretsIn(file.error, input) }),
});

/** `path` below `root` with `/` separators whatever the platform (every path of a job lies inside the root). */
const relativePath = (root: string, path: string): string => {
	const inside = relative(root, path);
	return isAbsolute(inside) ? inside : inside.split(sep).join('/');
};
