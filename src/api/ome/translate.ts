import { extname, isAbsolute, relative, resolve } from 'node:path';
import { TapedeckError } from '../../core/errors.ts';
import type { StreamKey } from '../../core/stream-hub.ts';
import { formatIsoWithOffset } from '../../recorder/info-file.ts';
import { PathTemplate } from '../../recorder/path-template.ts';
import type { RecordedFile, RecordFormat } from '../../recorder/recording.ts';
import type { JobSettings, RecordingJob } from '../../recorder/recording-job.ts';
import type { OmeRecord, StartRecordBody } from './schemas.ts';

export const OME = 'ome';

/** OME's defaults when neither the request nor the configuration names a path, under the recordings folder. */
export const DEFAULT_FILE_PATH = `\${TransactionId}_\${VirtualHost}_\${Application}_\${Stream}_\${StartTime:YYYYMMDDhhmmss}_\${EndTime:YYYYMMDDhhmmss}.ts`;
export const DEFAULT_INFO_PATH = `\${TransactionId}_\${VirtualHost}_\${Application}_\${Stream}.xml`;

/** The container each file extension selects; OME writes any other extension as MPEG-TS, and so do we. */
const FORMAT_OF_EXTENSION: Readonly<Record<string, RecordFormat>> = {
	'.ts': 'ts',
	'.mp4': 'mp4',
	'.mov': 'mov',
	'.flv': 'flv',
	'.avi': 'avi',
};
/** Extensions naming a container we cannot write: refused rather than filled with MPEG-TS. */
const UNWRITABLE_EXTENSIONS = new Set(['.webm', '.mkv']);

export const formatOfPath = (path: string): RecordFormat => {
	const extension = extname(path).toLowerCase();
	if (UNWRITABLE_EXTENSIONS.has(extension)) {
		throw new TapedeckError(
			'unsupported',
			`filePath "${path}": tapedeck does not write ${extension} files; use .ts, .mp4, .mov, .flv or .avi`,
		);
	}
	return FORMAT_OF_EXTENSION[extension] ?? 'ts';
};

/**
 * A request path as a template the engine confines to the recordings folder: relative paths are
 * under it; an absolute path already inside it is kept; any other absolute path is taken under it,
 * the way OME prepends its `RootPath` to every path.
 */
export const underRoot = (path: string, root: string): string => {
	if (!isAbsolute(path)) return path;
	const inside = relative(resolve(root), path);
	if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return path;
	return path.replace(/^[/\\]+/, '');
};

/** OME's `:startRecord` body as engine job settings for the stream `key`. */
export const toJobSettings = (key: StreamKey, body: StartRecordBody, recordingsRoot: string): JobSettings => {
	const filePath = nonEmpty(body.filePath);
	const infoPath = nonEmpty(body.infoPath);
	const schedule = nonEmpty(body.schedule);
	const interval = body.interval ?? 0;
	const ids = body.stream.trackIds ?? body.stream.tracks ?? [];
	const names = body.stream.variantNames ?? [];
	const split = {
		...(interval > 0 ? { intervalMs: interval } : {}),
		...(schedule === undefined ? {} : { schedule }),
	};
	const tracks = { ...(ids.length ? { ids } : {}), ...(names.length ? { names } : {}) };
	const metadata = typeof body.metadata === 'object' ? JSON.stringify(body.metadata) : body.metadata;
	return {
		name: body.id,
		dialect: OME,
		key,
		streamName: body.stream.name,
		format: formatOfPath(filePath ?? DEFAULT_FILE_PATH),
		filePath: underRoot(filePath ?? DEFAULT_FILE_PATH, recordingsRoot),
		infoPath: underRoot(infoPath ?? DEFAULT_INFO_PATH, recordingsRoot),
		...(Object.keys(split).length ? { split } : {}),
		segmentationRule: body.segmentationRule ?? 'discontinuity',
		...(Object.keys(tracks).length ? { tracks } : {}),
		...(metadata === undefined ? {} : { metadata }),
		active: true,
		// The paths as the client wrote them, echoed back in `filePath` / `infoPath`.
		extra: { filePath: filePath ?? DEFAULT_FILE_PATH, infoPath: infoPath ?? DEFAULT_INFO_PATH },
	};
};

const nonEmpty = (value: string | undefined): string | undefined => (value === '' ? undefined : value);

export type RecordViewContext = {
	/** The OME virtual host name the task is listed under. */
	readonly virtualHost: string;
	readonly recordingsRoot: string;
	/** The job's files, in order. */
	readonly files: readonly RecordedFile[];
	/** The file being written with its live size and duration, if any. */
	readonly currentFile?: RecordedFile | undefined;
	/** Shown instead of the job's state (a stop answers with `stopping`, as OME does). */
	readonly state?: OmeRecord['state'];
};

/**
 * A job as OME's JsonFromRecord writes it, field for field and in its order: statistics only once
 * the task has recorded (and only those above zero), `finishTime` only when stopped or failed.
 * A task whose publisher left after recording reads `stopped` with its totals, as OME's does (its
 * stream's end stops the session; a new publish records the next sequence). `sequence` counts the
 * files finished, as OME increments it when a file closes. Jobs of the other dialects are shown the
 * same way.
 */
export const toOmeRecord = (job: RecordingJob, context: RecordViewContext): OmeRecord => {
	const files = context.files.map((file) => (file.id === context.currentFile?.id ? context.currentFile : file));
	const latest = files.at(-1);
	const writing = latest?.state === 'writing';
	const state = context.state ?? (job.state === 'ready' && latest && !writing ? 'stopped' : job.state);
	const recorded = state !== 'ready';
	const finished = state === 'stopped' || state === 'error';
	let totalBytes = 0;
	let totalTime = 0;
	for (const file of files) {
		totalBytes += file.bytes;
		totalTime += file.durationMs;
	}
	const sequence = latest ? latest.sequence + (writing ? 0 : 1) : 0;
	const extra = job.extra ?? {};
	const shownPath = (name: string, fallback: string): string =>
		typeof extra[name] === 'string' ? (extra[name] as string) : fallback;
	return {
		state,
		isConfig: false,
		id: job.id,
		// OME leaves an empty string out.
		...(job.metadata ? { metadata: job.metadata } : {}),
		vhost: context.virtualHost,
		app: job.key.app,
		stream: {
			name: job.key.stream,
			trackIds: [...(job.tracks?.ids ?? [])],
			variantNames: [...(job.tracks?.names ?? [])],
		},
		filePath: shownPath('filePath', job.filePath),
		outputFilePath: latest?.path ?? '',
		infoPath: shownPath('infoPath', job.infoPath ?? ''),
		outputInfoPath: latest ? outputInfoPath(job, latest, context) : '',
		...(job.split?.intervalMs ? { interval: job.split.intervalMs } : {}),
		...(job.split?.schedule ? { schedule: job.split.schedule } : {}),
		segmentationRule: job.segmentationRule,
		createdTime: formatIsoWithOffset(new Date(job.createdAt)),
		...(recorded && writing && latest.bytes > 0 ? { recordBytes: latest.bytes } : {}),
		...(recorded && writing && latest.durationMs > 0 ? { recordTime: Math.round(latest.durationMs) } : {}),
		...(recorded && totalBytes > 0 ? { totalRecordBytes: totalBytes } : {}),
		...(recorded && totalTime > 0 ? { totalRecordTime: Math.round(totalTime) } : {}),
		...(recorded && sequence > 0 ? { sequence } : {}),
		...(recorded && latest ? { startTime: formatIsoWithOffset(new Date(latest.startedAt)) } : {}),
		...(finished && latest?.endedAt ? { finishTime: formatIsoWithOffset(new Date(latest.endedAt)) } : {}),
	};
};

/** The info XML the latest file was (or will be) appended to, expanded as the Recording does. */
const outputInfoPath = (job: RecordingJob, latest: RecordedFile, context: RecordViewContext): string => {
	if (job.infoPath === undefined) return '';
	try {
		return new PathTemplate(job.infoPath, context.recordingsRoot).expand({
			virtualHost: job.key.vhost,
			application: job.key.app,
			stream: job.streamName,
			sourceStream: job.key.stream,
			sequence: latest.sequence,
			id: job.id,
			transactionId: job.transactionId,
			startTime: new Date(latest.startedAt),
			...(latest.endedAt ? { endTime: new Date(latest.endedAt) } : {}),
		});
	} catch {
		return '';
	}
};
