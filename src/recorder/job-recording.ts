import { PathTemplate } from './path-template.ts';
import { type RecordedFile, Recording, type RecordingDeps } from './recording.ts';
import type { JobSettings, RecordingJob } from './recording-job.ts';
import { SplitPolicy } from './split-policy.ts';
import { TrackFilter } from './track-filter.ts';

/** Checks what a run of these settings will build (paths confined to `root`, split, track filter); throws what is wrong. */
export const checkJobSettings = (settings: JobSettings, root: string): void => {
	new PathTemplate(settings.filePath, root);
	if (settings.infoPath !== undefined) new PathTemplate(settings.infoPath, root);
	SplitPolicy.from(settings.split ?? {});
	new TrackFilter(settings.tracks ?? {});
};

/** One run of `job` as a Recording, its files under `root`, numbered on after the files it already has. */
export const recordingOf = (
	job: RecordingJob,
	files: readonly RecordedFile[],
	root: string,
	deps: RecordingDeps,
): Recording =>
	new Recording(
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
		deps,
	);
