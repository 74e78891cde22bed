/** The settings of a plain test job: records bus stream `default/live/<name>` (to TS unless told) in a folder named after it. */
import type { JobSettings } from '../../src/recorder/recording-job.ts';

export const jobSettings = (name: string, overrides: Partial<JobSettings> = {}): JobSettings => ({
	name,
	dialect: 'callaba',
	key: { vhost: 'default', app: 'live', stream: name },
	streamName: name,
	format: overrides.format ?? 'ts',
	// Escaped: the path template's own macros.
	filePath: `\${Stream}/\${Stream}_\${Sequence}.${overrides.format ?? 'ts'}`,
	segmentationRule: 'discontinuity',
	active: false,
	...overrides,
});
