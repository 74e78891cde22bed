/**
 * What a recording is asked to do and what it reports: its formats, states, files, settings and the
 * observer that hears about them (the job store, through RecordingService).
 */
import type { StreamKey } from '../core/stream-hub.ts';
import type { PathTemplate } from './path-template.ts';
import type { SegmentationRule } from './segmentation-rule.ts';
import type { SplitPolicyOptions } from './split-policy.ts';
import type { TrackFilterOptions } from './track-filter.ts';

/**
 * The containers a recording can produce (MP4 and MOV are written fragmented and finalized at close;
 * `fmp4` keeps the fragmented MP4 as written, as `remux --format fmp4` writes it).
 */
export type RecordFormat = 'ts' | 'mp4' | 'fmp4' | 'mov' | 'flv' | 'avi';

export const RECORD_FORMATS: readonly RecordFormat[] = ['mp4', 'mov', 'avi', 'flv', 'ts', 'fmp4'];

export type RecordingState = 'ready' | 'recording' | 'stopping' | 'stopped' | 'error';

/**
 * The one table of legal moves. `recording → ready` is the stream dropping (the file is finalized and
 * the recording waits for the stream to return); `error` is reachable from every live state and is
 * left by stopping, or by a retry (`error → ready`) once its back-off has passed.
 */
const TRANSITIONS: Readonly<Record<RecordingState, readonly RecordingState[]>> = {
	ready: ['recording', 'stopping', 'error'],
	recording: ['ready', 'stopping', 'error'],
	error: ['ready', 'stopping'],
	stopping: ['stopped'],
	stopped: [],
};

/** Whether a recording in `from` may move to `to`. */
export const canMove = (from: RecordingState, to: RecordingState): boolean => TRANSITIONS[from].includes(to);

/** One file of a recording, as the job store keeps it and the APIs list it. */
export type RecordedFile = {
	readonly id: string;
	readonly sequence: number;
	/** The final path (absolute). While `writing` it is provisional: `${EndTime}` is known only at close. */
	path: string;
	/** Where the bytes are while the file is written. */
	readonly partPath: string;
	state: 'writing' | 'complete' | 'recovered' | 'failed';
	bytes: number;
	durationMs: number;
	readonly startedAt: string;
	endedAt?: string;
	error?: string;
	/** The codecs of the tracks written (`h264`, `aac`, …); absent on files recorded before it was kept. */
	readonly codecs?: readonly string[];
};

export type RecordingSpec = {
	readonly id: string;
	/** One per run of the recording (OME's transactionId); `${TransactionId}`. */
	readonly transactionId: string;
	/** The bus stream recorded. */
	readonly key: StreamKey;
	/** `${Stream}` in file names (a recording's own input is keyed by id, but named by the user). */
	readonly streamName: string;
	readonly format: RecordFormat;
	readonly filePath: PathTemplate;
	readonly infoPath?: PathTemplate;
	readonly split?: SplitPolicyOptions;
	readonly segmentationRule: SegmentationRule;
	readonly tracks?: TrackFilterOptions;
	readonly metadata?: string;
	readonly createdAt: Date;
	/** `${Sequence}` of the first file: a resumed recording carries on after its last file. */
	readonly firstSequence: number;
	/** Media milliseconds a file waits for a video track that sends nothing before starting without it (default 5000). */
	readonly missingTrackWaitMs?: number;
};

export interface RecordingObserver {
	fileOpened(file: RecordedFile): void;
	/** A file reached its final name (or failed for good): persist it. */
	fileClosed(file: RecordedFile): void;
	stateChanged(state: RecordingState, reason: string): void;
}
