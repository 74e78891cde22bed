import type { StreamRegistry } from '../bus/stream-registry.ts';
import { TapedeckError } from '../core/errors.ts';
import type { BuiltInModule, InputSpec, OpenInput } from '../core/input-spec.ts';
import type { Logger } from '../core/logger.ts';
import { DEFAULT_VHOST, type IngestSource, type StreamKey } from '../core/stream-hub.ts';
import { checkJobSettings } from './job-recording.ts';
import type { JobSettings, RecordingJob } from './recording-job.ts';

export type JobInputsOptions = {
	readonly registry: StreamRegistry;
	/** Address a recording's own listeners bind when the input names none. */
	readonly listenHost: string;
	/** Builds the source of a `listen` or `pull` input; without it such inputs are refused. */
	readonly openInput?: OpenInput;
	/** The built-in listeners inputs may name. */
	readonly modules?: readonly BuiltInModule[];
	readonly logger: Logger;
};

/**
 * Where each job's stream comes from: the bus stream it records, the built-in listener it names,
 * and the source of an input of its own. The ingest side is injected (`openInput`, `modules`), so
 * the recorder knows inputs only by the model of src/core/input-spec.ts.
 */
export class JobInputs {
	readonly #options: JobInputsOptions;

	constructor(options: JobInputsOptions) {
		this.#options = options;
	}

	get modules(): readonly BuiltInModule[] {
		return this.#options.modules ?? [];
	}

	/** Checks everything a run of `settings` will need (job-recording.ts); returns the bus stream the job records. */
	checked(settings: JobSettings, id: string, root: string): StreamKey {
		checkJobSettings(settings, root);
		const key = this.keyOf(settings, id);
		// Built and dropped: an input that cannot be opened is refused now, not at its first run.
		this.sourceOf(settings.name, key, settings.input);
		return key;
	}

	/** An input of its own publishes the job's private stream; a built-in listener, the stream it maps the name to. */
	keyOf(settings: JobSettings, id: string): StreamKey {
		const input = settings.input;
		if (input?.direction === 'built-in') return this.moduleOf(input).streamKey(input.stream ?? '');
		if (input) return { vhost: DEFAULT_VHOST, app: 'recording', stream: id };
		if (!settings.key) throw new TapedeckError('invalid_argument', 'a recording needs an input or a stream to record');
		return settings.key;
	}

	/** The built-in listener an input names: 404 for an id no listener has, 400 for one of another protocol. */
	moduleOf(input: InputSpec): BuiltInModule {
		const known = this.modules.length > 0 ? this.modules.map((m) => `"${m.id}"`).join(', ') : 'none (all turned off)';
		const module = this.modules.find((m) => m.id === input.module);
		if (!module) {
			throw new TapedeckError(
				input.module ? 'not_found' : 'invalid_argument',
				`${input.module ? `"${input.module}" is no built-in listener of this server` : 'the built-in listener is required'}; built-in listeners: ${known}`,
			);
		}
		if (module.protocol !== input.protocol) {
			throw new TapedeckError(
				'invalid_argument',
				`"${module.id}" is the built-in ${module.protocol.toUpperCase()} listener; this input needs a ${input.protocol.toUpperCase()} one`,
			);
		}
		return module;
	}

	/** The source of the job's own input, publishing `key`; undefined for a built-in listener or no input. */
	sourceOf(name: string, key: StreamKey, input: InputSpec | undefined): IngestSource | undefined {
		if (!input || input.direction === 'built-in') return undefined;
		const open = this.#options.openInput;
		if (!open) throw new TapedeckError('unsupported', 'this server opens no inputs of their own');
		const registry = this.#options.registry;
		return open(input, registry.publisher(key, input.protocol), {
			hub: registry,
			key,
			listenHost: this.#options.listenHost,
			logger: this.#options.logger.child({ name }),
		});
	}

	/** Why a job without an input of its own waits: its stream, and the built-in listener it comes through. */
	waitingReason(job: RecordingJob, recordingReason: string): string {
		if (job.input?.direction !== 'built-in') return recordingReason;
		const module = this.moduleOf(job.input);
		return `${recordingReason} on built-in listener "${module.id}" (${module.url})`;
	}
}
