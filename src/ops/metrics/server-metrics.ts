import { collectDefaultMetrics, Registry } from 'prom-client';
import type { StreamRegistry } from '../../bus/stream-registry.ts';
import type { RecordingService } from '../../recorder/recording-service.ts';
import { type DiskSpace, diskSpace } from './disk-space.ts';
import { JobMetrics } from './job-metrics.ts';
import { type LiveStreamView, liveStreamView } from './live-stream-list.ts';
import { mirroredMetric } from './mirrored-metric.ts';
import { StreamBitrate } from './stream-bitrate.ts';
import { liveStreams, registerStreamMetrics } from './stream-metrics.ts';

export type ServerMetricsOptions = {
	readonly bus: StreamRegistry;
	/** Once its start-up (`init()`) is done: the files it repairs then are not this run's. */
	readonly service: RecordingService;
	/** The recordings folder, whose file system's space is exported. */
	readonly recordingsRoot: string;
	/** The free-space floor (`retention.minFreeBytes`), exported beside the free space for alert rules. */
	readonly minFreeBytes: number;
};

/** How often the stream bitrates are sampled. */
const SAMPLE_INTERVAL_MS = 1000;

/**
 * Everything `/metrics` exports, in a registry of its own (prom-client's global one would mix in
 * whatever else a process registers there, and would not let two servers run in one process, as
 * tests do): the live streams, the recording jobs, the recordings' disk, and Node's process figures
 * (CPU, memory, event-loop lag, garbage collection).
 */
export class ServerMetrics {
	readonly register = new Registry();
	readonly #options: ServerMetricsOptions;
	readonly #bitrate = new StreamBitrate();
	readonly #jobs: JobMetrics;
	#timer: NodeJS.Timeout | undefined;

	constructor(options: ServerMetricsOptions) {
		this.#options = options;
		collectDefaultMetrics({ register: this.register });
		registerStreamMetrics(this.register, options.bus, this.#bitrate);
		this.#jobs = new JobMetrics(this.register, options.service);
		this.#registerDisk();
	}

	/** Starts sampling the stream bitrates. */
	start(): void {
		if (this.#timer) return;
		this.#sample();
		this.#timer = setInterval(() => this.#sample(), SAMPLE_INTERVAL_MS);
		this.#timer.unref();
	}

	/** Stops sampling and listening to the recorder; idempotent. */
	stop(): void {
		clearInterval(this.#timer);
		this.#timer = undefined;
		this.#jobs.close();
	}

	/** The Prometheus text exposition (format 0.0.4) of every metric. */
	render(): Promise<string> {
		return this.register.metrics();
	}

	get contentType(): string {
		return this.register.contentType;
	}

	/** The live streams on the bus with their tracks and publishers, by name. */
	liveStreams(): LiveStreamView[] {
		return liveStreams(this.#options.bus)
			.map((stream) => liveStreamView(stream, this.#bitrate))
			.sort((a, b) => a.name.localeCompare(b.name));
	}

	#sample(): void {
		this.#bitrate.sample(liveStreams(this.#options.bus));
	}

	#registerDisk(): void {
		const { recordingsRoot, minFreeBytes } = this.#options;
		// A folder that cannot be read leaves the series out (absent() alerts on it); /readyz says why.
		const space = (figure: keyof DiskSpace) => async () => {
			const measured = await diskSpace(recordingsRoot).catch(() => undefined);
			return measured ? [[{}, measured[figure]] as const] : [];
		};
		mirroredMetric(this.register, {
			type: 'gauge',
			name: 'tapedeck_recordings_disk_free_bytes',
			help: 'Space left for the server on the file system of the recordings folder.',
			labelNames: [],
			read: space('freeBytes'),
		});
		mirroredMetric(this.register, {
			type: 'gauge',
			name: 'tapedeck_recordings_disk_total_bytes',
			help: 'Size of the file system of the recordings folder.',
			labelNames: [],
			read: space('totalBytes'),
		});
		mirroredMetric(this.register, {
			type: 'gauge',
			name: 'tapedeck_recordings_disk_floor_bytes',
			help: 'Free space the server keeps on the recordings disk (retention.minFreeBytes); /readyz fails below it.',
			labelNames: [],
			read: () => [[{}, minFreeBytes]],
		});
	}
}
