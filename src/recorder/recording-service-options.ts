import type { StreamRegistry } from '../bus/stream-registry.ts';
import type { BuiltInModule, OpenInput } from '../core/input-spec.ts';
import type { Logger } from '../core/logger.ts';
import type { Sink } from '../sink/sink.ts';
import type { JobStore } from './recording-job.ts';

/** What a RecordingService is built from: the bus, the job store, the recordings folder and its inputs. */
export type RecordingServiceOptions = {
	readonly registry: StreamRegistry;
	readonly store: JobStore;
	/** Every file path is confined to this folder. */
	readonly recordingsRoot: string;
	/** Address a recording's own listeners bind when the input names none. */
	readonly listenHost: string;
	/** Builds the source of a `listen` or `pull` input (ingest/create-input.ts); without it such inputs are refused. */
	readonly openInput?: OpenInput;
	/** The built-in listeners inputs may name; none by default. */
	readonly modules?: readonly BuiltInModule[];
	readonly logger?: Logger;
	/** Injectable sink factory (tests simulate a full disk with it). */
	readonly openSink?: (path: string) => Sink;
	readonly syncIntervalMs?: number;
};
