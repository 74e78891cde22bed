import { relative } from 'node:path';
import { builtInProtocolOf, builtInStreamKey } from '../../../ingest/built-in-module.ts';
import type { InputSpec } from '../../../ingest/create-input.ts';
import { TapedeckError } from '../../core/errors.ts';
import type { RecordedFile } from '../../recorder/recording.ts';
import type { JobSettings, RecordingJob } from '../../recorder/recording-job.ts';
import type { JobStats } from '../../recorder/recording-service.ts';
import type { RecordingSettings } from './schemas.ts';

export const CALLABA = 'callaba';

/** Callaba names no file layout; ours: one folder per recording, the stream name, start time and sequence. */
export const defaultFilePath = (format: string): string =>
	`\${Id}/\${Stream}_\${StartTime:YYYYMMDDhhmmss}_\${Sequence}.${format}`;

/** A recording name as a file-name-friendly `${Stream}`. */
const slug = (name: string): string => name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'stream';

/** Callaba's create/update body as engine job settings; what the engine cannot do is refused by name. */
export const toJobSettings = (id: string, body: RecordingSettings): JobSettings => {
	if (body.recording_type !== 'RECORDING_STREAM_TO_FILE') {
		throw new TapedeckError('unsupported', `recording_type ${body.recording_type} is not supported yet`);
	}
	for (const [field, value] of Object.entries(body.transcoding ?? {})) {
		if (value !== undefined && value !== 'Disabled') {
			throw new TapedeckError(
				'unsupported',
				`transcoding.${field} "${String(value)}" is not supported: tapedeck records streams as they arrive (use "Disabled")`,
			);
		}
	}
	const split = {
		...(body.interval === undefined ? {} : { intervalMs: body.interval }),
		...(body.schedule === undefined ? {} : { schedule: body.schedule }),
		...(body.max_file_size === undefined ? {} : { maxBytes: body.max_file_size }),
	};
	const tracks = {
		...(body.track_ids === undefined ? {} : { ids: body.track_ids }),
		...(body.variant_names === undefined ? {} : { names: body.variant_names }),
	};
	const input = body.input as InputSpec;
	return {
		name: body.recording_name,
		dialect: CALLABA,
		// An input of its own publishes the job's private stream; one naming a built-in listener records what that listener publishes.
		key: builtInProtocolOf(input) ? builtInStreamKey(input) : { vhost: 'default', app: 'recording', stream: id },
		streamName: slug(body.recording_name),
		input,
		format: body.output_format,
		filePath: body.file_path ?? defaultFilePath(body.output_format),
		...(body.info_path === undefined ? {} : { infoPath: body.info_path }),
		...(Object.keys(split).length ? { split } : {}),
		segmentationRule: body.segmentation_rule ?? 'discontinuity',
		...(Object.keys(tracks).length ? { tracks } : {}),
		...(body.metadata === undefined ? {} : { metadata: body.metadata }),
		active: body.active ?? true,
		extra: {
			recording_type: body.recording_type,
			...(body.transcoding ? { transcoding: body.transcoding } : {}),
		},
	};
};

export const toFileView = (file: RecordedFile, recordingsRoot: string) => ({
	id: file.id,
	name: relative(recordingsRoot, file.path),
	path: file.path,
	size: file.bytes,
	duration: file.durationMs / 1000,
	start_time: file.startedAt,
	...(file.endedAt === undefined ? {} : { end_time: file.endedAt }),
	sequence: file.sequence,
	state: file.state,
	...(file.error === undefined ? {} : { error: file.error }),
});

export const toRecordingView = (job: RecordingJob, recordingsRoot: string) => ({
	id: job.id,
	recording_name: job.name,
	recording_type: 'RECORDING_STREAM_TO_FILE' as const,
	input: job.input ?? { input_type: 'INPUT_TYPE_OTHER' as const },
	...(job.extra?.['transcoding'] ? { transcoding: job.extra['transcoding'] } : {}),
	output_format: job.format,
	active: job.active,
	created: job.createdAt,
	modified: job.modifiedAt,
	recordedFiles: job.files.map((file) => toFileView(file, recordingsRoot)),
	...(job.filePath === defaultFilePath(job.format) ? {} : { file_path: job.filePath }),
	...(job.infoPath === undefined ? {} : { info_path: job.infoPath }),
	...(job.split?.intervalMs === undefined ? {} : { interval: job.split.intervalMs }),
	...(job.split?.schedule === undefined ? {} : { schedule: job.split.schedule }),
	...(job.split?.maxBytes === undefined ? {} : { max_file_size: job.split.maxBytes }),
	segmentation_rule: job.segmentationRule,
	state: job.state,
	state_reason: job.reason,
});

export const toStatView = (stats: JobStats, recordingsRoot: string) => ({
	id: stats.id,
	bitrate: stats.bitrateKbps,
	state: stats.state,
	state_reason: stats.reason,
	packets: stats.packets,
	bytes: stats.bytes,
	dropped_packets: stats.droppedPackets,
	last_packet_at: stats.lastPacketAt ?? null,
	current_file: stats.currentFile ? toFileView(stats.currentFile, recordingsRoot) : null,
	input_stats: stats.input ? { protocol: stats.input.protocol, ...snakeCaseKeys(stats.input.stats) } : null,
});

/** `rttMs` → `rtt_ms`: the API's field style for figures the engine names in camelCase. */
const snakeCaseKeys = (figures: Readonly<Record<string, number>>): Record<string, number> =>
	Object.fromEntries(
		Object.entries(figures).map(([name, value]) => [name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]),
	);
