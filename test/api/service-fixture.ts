/** A recording service over a fresh data folder under the OS temp folder, for API tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import type { RecordingJob } from '../../src/recorder/recording-job.ts';
import { RecordingService } from '../../src/recorder/recording-service.ts';
import { JournalStore } from '../../src/store/journal-store.ts';

export type ServiceFixture = {
	readonly recordingsRoot: string;
	readonly service: RecordingService;
	/** Stops every recording and closes the store. */
	close(): Promise<void>;
};

export const serviceFixture = (prefix: string, listenHost = '127.0.0.1'): ServiceFixture => {
	const data = mkdtempSync(join(tmpdir(), `tapedeck-${prefix}-`));
	const recordingsRoot = join(data, 'recordings');
	const store = new JournalStore<RecordingJob>(join(data, 'store', 'recordings.jsonl'));
	const service = new RecordingService({ registry: new StreamRegistry(), store, recordingsRoot, listenHost });
	return {
		recordingsRoot,
		service,
		close: async () => {
			await service.shutdown();
			await store.close();
		},
	};
};
