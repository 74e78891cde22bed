import type { InputSpec } from '../core/input-spec.ts';
import type { StreamKey } from '../core/stream-hub.ts';
import type { JournalStore } from '../store/journal-store.ts';
import type { RecordedFile, RecordFormat, RecordingState } from './recording.ts';
import type { SegmentationRule } from './segmentation-rule.ts';

/** What a dialect sets on a job: every API's create/update request translates to this. */
export type JobSettings = {
	/** Human name, unique within its dialect (Callaba's `recording_name`, OME's id). */
	readonly name: string;
	/** Which API created the job (`callaba`, `ome`, `huawei`). */
	readonly dialect: string;
	/**
	 * The bus stream recorded, for a job without an input of its own. A job with a `listen` or `pull`
	 * input records its private stream `default/recording/<id>`; one naming a built-in listener the
	 * stream that listener publishes: the service sets both.
	 */
	readonly key?: StreamKey;
	/** `${Stream}` in file names. */
	readonly streamName: string;
	/** Where the stream comes from; none when another module publishes `key`. */
	readonly input?: InputSpec;
	readonly format: RecordFormat;
	/** Path template relative to the recordings folder (see PathTemplate). */
	readonly filePath: string;
	readonly infoPath?: string;
	readonly split?: { readonly intervalMs?: number; readonly schedule?: string; readonly maxBytes?: number };
	readonly segmentationRule: SegmentationRule;
	readonly tracks?: { readonly ids?: readonly number[]; readonly names?: readonly string[] };
	readonly metadata?: string;
	/** Whether the job should be recording; an active job resumes after a restart. */
	readonly active: boolean;
	/** Request fields a dialect keeps as they came and echoes back (e.g. Callaba's `transcoding`). */
	readonly extra?: Readonly<Record<string, unknown>>;
};

/**
 * A recording task as the job store keeps it: its settings and its last known state. Its files are
 * the store's items of the job, each saved on its own as it opens and closes.
 */
export type RecordingJob = JobSettings & {
	readonly id: string;
	readonly key: StreamKey;
	readonly createdAt: string;
	modifiedAt: string;
	/** The current (or last) run's transaction id. */
	transactionId: string;
	state: RecordingState;
	reason: string;
};

/** The job store: jobs, and the files of each job as items. */
export type JobStore = JournalStore<RecordingJob, RecordedFile>;

/** A change of a job's settings, computed from the job as it is when the change runs. */
export type SettingsChange = JobSettings | ((current: RecordingJob) => JobSettings);

/** The job `settings` make, keeping the identity of the job it replaces (or starts). */
export const jobOf = (
	settings: JobSettings,
	key: StreamKey,
	identity: Pick<RecordingJob, 'id' | 'createdAt' | 'transactionId'>,
): RecordingJob => ({
	...settings,
	key,
	id: identity.id,
	createdAt: identity.createdAt,
	modifiedAt: new Date().toISOString(),
	transactionId: identity.transactionId,
	state: settings.active ? 'ready' : 'stopped',
	reason: settings.active ? 'starting' : 'inactive',
});
