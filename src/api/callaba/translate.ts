import { relative } from 'node:path';
import { TapedeckError } from '../../core/errors.ts';
import { MASK } from '../../core/input-spec.ts';
import type { JobStats } from '../../recorder/job-stats.ts';
import type { RecordedFile } from '../../recorder/recording.ts';
import type { JobSettings, RecordingJob } from '../../recorder/recording-job.ts';
import { type CallabaInput, type InputType, toCallabaInput, toInputSpec, unknownInputKeys } from './callaba-input.ts';
import type { RecordingSettings } from './schemas.ts';

export const CALLABA = 'callaba';

/**
 * Callaba names no file layout; ours: one folder per recording, the stream name, start time and
 * sequence. A fragmented MP4 is an `.mp4` file.
 */
export const defaultFilePath = (format: string): string =>
	`\${Id}/\${Stream}_\${StartTime:YYYYMMDDhhmmss}_\${Sequence}.${format === 'fmp4' ? 'mp4' : format}`;

/** A recording name as a file-name-friendly `${Stream}`. */
const slug = (name: string): string => name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'stream';

/**
 * Callaba's create/update body as engine job settings; what the engine cannot do is refused by name.
 * `current` is the job an update changes: its dialect and, when the body names no input, its input
 * or stream are kept.
 */
export const toJobSettings = (body: RecordingSettings, current?: RecordingJob): JobSettings => {
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
	const input = body.input as CallabaInput | undefined;
	const source = input
		? { input: toInputSpec(input) }
		: {
				...(current?.input ? { input: current.input } : {}),
				...(current && !current.input ? { key: current.key } : {}),
			};
	return {
		name: body.recording_name,
		dialect: current?.dialect ?? CALLABA,
		...source,
		streamName: current && current.name === body.recording_name ? current.streamName : slug(body.recording_name),
		format: body.output_format,
		filePath: body.file_path ?? defaultFilePath(body.output_format),
		...(body.info_path === undefined ? {} : { infoPath: body.info_path }),
		...(Object.keys(split).length ? { split } : {}),
		segmentationRule: body.segmentation_rule ?? 'discontinuity',
		...(Object.keys(tracks).length ? { tracks } : {}),
		...(body.metadata === undefined ? {} : { metadata: body.metadata }),
		active: body.active ?? true,
		extra: {
			...current?.extra,
			recording_type: body.recording_type,
			...(body.transcoding ? { transcoding: body.transcoding } : {}),
			...(input ? { input_type: input.input_type, input_keys: unknownInputKeys(input) } : {}),
		},
	};
};

/**
 * A job as Callaba's create body would say it, secrets included: what a partial `update` is merged
 * into. The body's `input` may repeat the masked secrets getById showed; those keep the stored ones.
 */
export const mergeUpdate = (job: RecordingJob, body: Partial<RecordingSettings>): RecordingSettings => {
	const current = toSettingsBody(job, false);
	const input = body.input as CallabaInput | undefined;
	// A secret sent back masked keeps the stored one.
	const kept: Record<string, unknown> = {};
	for (const name of ['passphrase', 'publish_key', 'password'] as const) {
		const value = input?.[name] === MASK ? current.input?.[name] : input?.[name];
		if (value !== undefined) kept[name] = value;
	}
	return {
		...current,
		...body,
		...(input ? { input: { ...input, ...kept } } : {}),
	} as RecordingSettings;
};

/** The job's settings in Callaba's words; `mask` hides its secrets. */
const toSettingsBody = (job: RecordingJob, mask: boolean) => {
	const extra = job.extra ?? {};
	const inputType = extra['input_type'] as InputType | undefined;
	const input = job.input
		? toCallabaInput(job.input, inputType, (extra['input_keys'] ?? {}) as Record<string, unknown>, { mask })
		: undefined;
	return {
		recording_name: job.name,
		recording_type: 'RECORDING_STREAM_TO_FILE' as const,
		...(input ? { input } : {}),
		...(extra['transcoding'] ? { transcoding: extra['transcoding'] as RecordingSettings['transcoding'] } : {}),
		output_format: job.format,
		active: job.active,
		...(job.filePath === defaultFilePath(job.format) ? {} : { file_path: job.filePath }),
		...(job.infoPath === undefined ? {} : { info_path: job.infoPath }),
		...(job.split?.intervalMs === undefined ? {} : { interval: job.split.intervalMs }),
		...(job.split?.schedule === undefined ? {} : { schedule: job.split.schedule }),
		...(job.split?.maxBytes === undefined ? {} : { max_file_size: job.split.maxBytes }),
		segmentation_rule: job.segmentationRule,
		...(job.tracks?.ids ? { track_ids: [...job.tracks.ids] } : {}),
		...(job.tracks?.names ? { variant_names: [...job.tracks.names] } : {}),
		...(job.metadata === undefined ? {} : { metadata: job.metadata }),
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

/**
 * A job as Callaba's getById shows it, secrets masked. A job made through OME or Huawei has no input
 * of its own: it shows as `INPUT_TYPE_OTHER` with the stream it records.
 */
export const toRecordingView = (
	job: RecordingJob,
	files: readonly RecordedFile[],
	recordingsRoot: string,
	totalFiles = files.length,
) => {
	const { input, ...settings } = toSettingsBody(job, true);
	return {
		id: job.id,
		...settings,
		input: input ?? {
			input_type: 'INPUT_TYPE_OTHER' as const,
			input_stream_id: `${job.key.app}/${job.key.stream}`,
		},
		created: job.createdAt,
		modified: job.modifiedAt,
		recordedFiles: files.map((file) => toFileView(file, recordingsRoot)),
		...(totalFiles === files.length ? {} : { recorded_files_total: totalFiles }),
		state: job.state,
		state_reason: job.reason,
		...(job.dialect === CALLABA ? {} : { api: job.dialect }),
	};
};

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
	warnings: {
		total: stats.warnings?.total ?? 0,
		by_code: stats.warnings?.byCode ?? {},
		recent: (stats.warnings?.recent ?? []).map((w) => ({
			code: w.code,
			message: w.message,
			count: w.count,
			last_at: w.lastAt,
		})),
	},
});

/** `rttMs` → `rtt_ms`: the API's field style for figures the engine names in camelCase. */
const snakeCaseKeys = (figures: Readonly<Record<string, number>>): Record<string, number> =>
	Object.fromEntries(
		Object.entries(figures).map(([name, value]) => [name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]),
	);
