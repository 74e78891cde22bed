import type { InputSpec } from '../../ingest/create-input.ts';
import type { StreamKey } from '../core/stream-hub.ts';
import type { SegmentationRule } from './rebaser.ts';
import type { RecordedFile, RecordFormat, RecordingState } from './recording.ts';

/** What a dialect sets on a job: every API's create/update request translates to this. */
export type JobSettings = {
	/** Human name, unique (Callaba's `recording_name`). */
	readonly name: string;
	/** Which API created the job (`callaba`, `ome`, `huawei`): each lists only its own. */
	readonly dialect: string;
	/** The bus stream recorded. */
	readonly key: StreamKey;
	/** `${Stream}` in file names. */
	readonly streamName: string;
	/** The recording's own input (a listener or puller feeding `key`), or none when another module publishes it. */
	readonly input?: InputSpec;
	readonly format: RecordFormat;
	/** Path template relative to the recordings folder (see PathTemplate). */
	readonly filePath: string;
	readonly infoPath?: string;
	readonly split?: { readonly intervalMs?: number; readonly schedule?: string; readonly maxBytes?: number };
	readonly segmentationRule: SegmentationRule;
	readonly tracks?: { readonly ids?: readonly number[]; readonly names?: readonly string[] };
	readonly metadata?: string;
	/** Whether the job should be recording (Callaba's `active`); an active job resumes after a restart. */
	readonly active: boolean;
	/** Request fields a dialect keeps as they came and echoes back (e.g. Callaba's `transcoding`). */
	readonly extra?: Readonly<Record<string, unknown>>;
};

/** A recording task as the job store keeps it: its settings, its last known state and its files. */
export type RecordingJob = JobSettings & {
	readonly id: string;
	readonly createdAt: string;
	modifiedAt: string;
	/** The current (or last) run's transaction id. */
	transactionId: string;
	state: RecordingState;
	reason: string;
	files: RecordedFile[];
};
