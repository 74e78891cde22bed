import { join } from 'node:path';
import { builtInModules } from '../../ingest/built-in-module.ts';
import { createInput } from '../../ingest/create-input.ts';
import { upgradeLegacyJob } from '../../src/api/callaba/legacy-job.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import type { BuiltInModule } from '../../src/core/input-spec.ts';
import type { RecordedFile } from '../../src/recorder/recording.ts';
import type { JobStore, RecordingJob } from '../../src/recorder/recording-job.ts';
import { RecordingService, type RecordingServiceOptions } from '../../src/recorder/recording-service.ts';
import { JournalStore } from '../../src/store/journal-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

export type ServiceKit = {
	readonly data: string;
	readonly recordingsRoot: string;
	readonly storePath: string;
	readonly registry: StreamRegistry;
	readonly store: JobStore;
	readonly service: RecordingService;
};

/** The store as `serve` opens it: first-format journals are upgraded. */
export const openJobStore = (path: string): JobStore =>
	new JournalStore<RecordingJob, RecordedFile>(path, { upgrade: upgradeLegacyJob });

/** Built-in RTMP and SRT listeners as a server on these ports would list them (nothing is bound). */
export const testModules = (): BuiltInModule[] =>
	builtInModules({ host: '127.0.0.1', rtmpPort: 1935, srtPort: 9710, rtspPort: 0 });

export const makeService = (
	options: Partial<Omit<RecordingServiceOptions, 'store' | 'recordingsRoot'>> & { readonly data?: string } = {},
): ServiceKit => {
	const data = options.data ?? tempDir('api');
	const recordingsRoot = join(data, 'recordings');
	const storePath = join(data, 'store', 'recordings.jsonl');
	const registry = options.registry ?? new StreamRegistry();
	const store = openJobStore(storePath);
	const service = new RecordingService({
		listenHost: '127.0.0.1',
		openInput: createInput,
		modules: testModules(),
		...options,
		registry,
		store,
		recordingsRoot,
	});
	return { data, recordingsRoot, storePath, registry, store, service };
};
