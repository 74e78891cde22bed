/**
 * Jobs as the first job-store format saved them: one whole document per change, its files inside
 * and its input in Callaba's words (`input_type`, `input_*`), whichever API made it. The store
 * reads them through `upgradeLegacyJob` on open and rewrites them in the current format.
 */
import type { RecordedFile } from '../../recorder/recording.ts';
import type { RecordingJob } from '../../recorder/recording-job.ts';
import { type CallabaInput, toInputSpec, unknownInputKeys } from './callaba-input.ts';

type LegacyJob = Omit<RecordingJob, 'input'> & { readonly files?: RecordedFile[]; readonly input?: CallabaInput };

/**
 * A first-format job as a job and its files. An input the model cannot say (a type this version
 * refuses) leaves the job inactive in `error`, with the reason, rather than lost.
 */
export const upgradeLegacyJob = (legacy: unknown): { doc: RecordingJob; items: RecordedFile[] } => {
	const { files = [], input, ...job } = legacy as LegacyJob;
	if (!input) return { doc: job, items: files };
	const extra = { ...job.extra, input_type: input.input_type, input_keys: unknownInputKeys(input) };
	try {
		return { doc: { ...job, input: toInputSpec(input), extra }, items: files };
	} catch (error) {
		const reason = `the saved input could not be read: ${(error as Error).message}`;
		return { doc: { ...job, extra, active: false, state: 'error', reason }, items: files };
	}
};
