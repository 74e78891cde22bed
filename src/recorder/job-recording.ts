import type { Logger } from '../core/logger.ts';
import { PathTemplate } from './path-template.ts';
import { type RecordedFile, Recording, type RecordingObserver } from './recording.ts';
import type { JobSettings, RecordingJob } from './recording-job.ts';
import type { RecordingServiceOptions } from './recording-service-options.ts';
import { SplitPolicy } from './split-policy.ts';
import { TrackFilter } from './track-filter.ts';

/** Checks what a run of these settings will build (paths confined to `root`, split, track filter); throws what is wrong. */
export const checkJobSettings = (settings: JobSettings, root: string): void => {
	new PathTemplate(settings.filePath, root);
	if (settings.infoPath !== undefined) new PathTemplate(settings.infoPath, root);
	SplitPolicy.from(settings.split ?? {});
	new TrackFilter(settings.tracks ?? {});
};

/** What a run takes from the service's options: the bus, the recordings folder, and the sink's settings. */
type RunOptions = Pick<RecordingServiceOptions, 'registry' | 'recordingsRoot' | 'openSink' | 'syncIntervalMs'>;

/** One run of `job` as a Recording, its files under the recordings root, numbered on after the files it already has. */
export const recordingOf = (
	job: RecordingJob,
	files: readonly RecordedFile[],
	options: RunOptions,
	observer: RecordingObserver,
	logger: Logger,
): Recording => {
	const root = options.recordingsRoot;
	return new Recording(
		{
			id: job.id,
			transactionId: job.transactionId,
			key: job.key,
			streamName: job.streamName,
			format: job.format,
			filePath: new PathTemplate(job.filePath, root),
			...(job.infoPath === undefined ? {} : { infoPath: new PathTemplate(job.infoPath, root) }),
			...(job.split ? { split: job.split } : {}),
			segmentationRule: job.segmentationRule,
			...(job.tracks ? { tracks: job.tracks } : {}),
			...(job.metadata === undefined ? {} : { metadata: job.metadata }),
			createdAt: new Date(job.createdAt),
			firstSequence: files.reduce((next, f) => Math.max(next, f.sequence + 1), 0),
		},
		{
			registry: options.registry,
			observer,
			logger,
			...(options.openSink ? { openSink: options.openSink } : {}),
			...(options.syncIntervalMs ? { syncIntervalMs: options.syncIntervalMs } : {}),
		},
	);
};
