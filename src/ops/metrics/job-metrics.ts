import type { Registry } from 'prom-client';
import type { RecorderEvent } from '../../recorder/recorder-events.ts';
import type { RecordingState } from '../../recorder/recording.ts';
import type { RecordingJob } from '../../recorder/recording-job.ts';
import type { RecordingService } from '../../recorder/recording-service.ts';
import { mirroredMetric, type Series } from './mirrored-metric.ts';

type JobLabel = 'job_id' | 'job_name' | 'dialect';
/** `job` itself is the label Prometheus gives every target, hence `job_id` and `job_name`. */
const JOB_LABELS: readonly JobLabel[] = ['job_id', 'job_name', 'dialect'];
const STATES: readonly RecordingState[] = ['ready', 'recording', 'stopping', 'stopped', 'error'];

/** What this process wrote for one job: bytes and files it closed, and the byte count last exported. */
type Written = { closedBytes: number; completed: number; failed: number; exportedBytes: number };

/**
 * Per recording job, labelled `job_id`, `job_name`, `dialect`: its state (one series per state, 1 for
 * the current one), the bytes and files it wrote since the server started, the files on record and
 * the packets its current run lost by falling behind. Closed files are counted from the recorder's
 * events; the open file's bytes are added as the recorder last synced them, and the exported total
 * never goes back (between a file's close and its `file.completed`, the file is in neither). Made after the
 * service's start-up, it does not count the files that start-up repaired: an earlier run wrote them.
 */
export class JobMetrics {
	readonly #service: RecordingService;
	readonly #written = new Map<string, Written>();
	readonly #unsubscribe: () => void;

	constructor(register: Registry, service: RecordingService) {
		this.#service = service;
		this.#unsubscribe = service.events.on((event) => this.#onEvent(event));
		const perJob = (value: (job: RecordingJob) => number) =>
			function* (this: void): Iterable<Series<JobLabel>> {
				for (const job of service.list()) yield [labelsOf(job), value(job)];
			};
		mirroredMetric(register, {
			type: 'gauge',
			name: 'tapedeck_job_state',
			help: 'State of the recording job: 1 for its current state, 0 for the others.',
			labelNames: [...JOB_LABELS, 'state'],
			*read() {
				for (const job of service.list()) {
					for (const state of STATES) yield [{ ...labelsOf(job), state }, job.state === state ? 1 : 0];
				}
			},
		});
		mirroredMetric(register, {
			type: 'counter',
			name: 'tapedeck_job_written_bytes_total',
			help: 'Bytes of recorded files the job wrote since the server started (the open file as last synced).',
			labelNames: JOB_LABELS,
			read: () => this.#writtenBytes(),
		});
		mirroredMetric(register, {
			type: 'counter',
			name: 'tapedeck_job_files_closed_total',
			help: 'Files the job closed since the server started, by outcome (completed, failed).',
			labelNames: [...JOB_LABELS, 'outcome'],
			read: () => this.#closedFiles(),
		});
		mirroredMetric(register, {
			type: 'gauge',
			name: 'tapedeck_job_files',
			help: 'Files the job has on record (listed by the API), the one being written included.',
			labelNames: JOB_LABELS,
			read: perJob((job) => service.fileCount(job.id)),
		});
		mirroredMetric(register, {
			type: 'counter',
			name: 'tapedeck_job_dropped_packets_total',
			help: "Packets the job's current run lost because it fell behind its stream.",
			labelNames: JOB_LABELS,
			read: perJob((job) => service.stats(job.id).droppedPackets),
		});
	}

	/** Stops listening to the recorder. */
	close(): void {
		this.#unsubscribe();
	}

	#onEvent(event: RecorderEvent): void {
		if (event.type === 'job.state' || event.type === 'file.started') return;
		const written = this.#writtenOf(event.job.id);
		written.closedBytes += event.file.bytes;
		if (event.type === 'file.completed') written.completed++;
		else written.failed++;
	}

	*#writtenBytes(): Iterable<Series<JobLabel>> {
		for (const job of this.#jobs()) {
			const written = this.#writtenOf(job.id);
			const open = this.#service.stats(job.id).currentFile?.bytes ?? 0;
			written.exportedBytes = Math.max(written.exportedBytes, written.closedBytes + open);
			yield [labelsOf(job), written.exportedBytes];
		}
	}

	*#closedFiles(): Iterable<Series<JobLabel | 'outcome'>> {
		for (const job of this.#jobs()) {
			const written = this.#writtenOf(job.id);
			yield [{ ...labelsOf(job), outcome: 'completed' }, written.completed];
			yield [{ ...labelsOf(job), outcome: 'failed' }, written.failed];
		}
	}

	/** Every job; the figures of jobs removed since are forgotten. */
	#jobs(): RecordingJob[] {
		const jobs = this.#service.list();
		const ids = new Set(jobs.map((job) => job.id));
		for (const id of this.#written.keys()) if (!ids.has(id)) this.#written.delete(id);
		return jobs;
	}

	#writtenOf(id: string): Written {
		let written = this.#written.get(id);
		if (!written) {
			written = { closedBytes: 0, completed: 0, failed: 0, exportedBytes: 0 };
			this.#written.set(id, written);
		}
		return written;
	}
}

const labelsOf = (job: RecordingJob): Record<JobLabel, string> => ({
	job_id: job.id,
	job_name: job.name,
	dialect: job.dialect,
});
