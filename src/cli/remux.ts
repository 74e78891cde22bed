/**
 * `tapedeck remux <input> <output>`: a file through the same pipeline a recording uses
 * (demuxer → SegmentWriter → muxer → FileSink), optionally split into numbered files.
 */
import { rmSync } from 'node:fs';
import { extname } from 'node:path';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { CONTAINER_FORMATS, type ContainerFormat } from '../../mux/muxer.ts';
import { TapedeckError } from '../core/errors.ts';
import type { DemuxStats } from '../core/media-receiver.ts';
import { SEGMENTATION_RULES, type SegmentationRule } from '../recorder/rebaser.ts';
import { type SegmentInfo, SegmentWriter, type SegmentWriterStats } from '../recorder/segment-writer.ts';
import { SplitPolicy } from '../recorder/split-policy.ts';
import { TrackFilter } from '../recorder/track-filter.ts';
import { FileSink } from '../sink/file-sink.ts';
import { parseCommandLine } from './command-line.ts';
import { openInputFile, pumpInputFile } from './input-file.ts';

// biome-ignore lint/suspicious/noTemplateCurlyInString: OvenMediaEngine's path macro, literally.
export const SEQUENCE_MACRO = '${Sequence}';

export type RemuxOptions = {
	readonly input: string;
	/** May hold `${Sequence}`; must when splitting. */
	readonly output: string;
	/** Default: from the output's extension. */
	readonly format?: ContainerFormat;
	/** Track ids and/or names, comma-separated. */
	readonly tracks?: string;
	readonly splitIntervalMs?: number;
	readonly segmentationRule?: SegmentationRule;
};

export type RemuxResult = {
	readonly files: readonly SegmentInfo[];
	readonly demux: DemuxStats;
	readonly writer: SegmentWriterStats;
};

const FORMAT_BY_EXTENSION: Record<string, ContainerFormat> = {
	'.ts': 'ts',
	'.m2ts': 'ts',
	'.mts': 'ts',
	'.mp4': 'mp4',
	'.m4v': 'mp4',
	'.m4a': 'mp4',
	'.mov': 'mov',
	'.flv': 'flv',
	'.avi': 'avi',
};

export const REMUX_USAGE = `Usage: tapedeck remux <input> <output> [options]

Copies the media of an MPEG-TS or FLV file into another container without re-encoding.

Options:
  --format <f>                 ${CONTAINER_FORMATS.join('|')} (default: from the output extension; fmp4 needs it)
  --tracks <list>              keep only these tracks: ids and/or names, comma-separated (e.g. 1,audio)
  --split-interval-ms <n>      start a new file at the first keyframe after every n ms of media;
                               the output must contain \${Sequence} (e.g. part-\${Sequence}.mp4)
  --segmentation-rule <rule>   continuity (files carry on each other's timestamps) or
                               discontinuity (every file starts at 0; default)
  --debug                      print stack traces`;

/** Remuxes a file; resolves with what was written, rejects with a TapedeckError. */
export const remuxFile = async (options: RemuxOptions): Promise<RemuxResult> => {
	const input = openInputFile(options.input);
	const format = options.format ?? formatFromPath(options.output);
	const split =
		options.splitIntervalMs === undefined ? undefined : new SplitPolicy({ intervalMs: options.splitIntervalMs });
	if (split && !options.output.includes(SEQUENCE_MACRO)) {
		throw new TapedeckError(
			'invalid_argument',
			`splitting needs ${SEQUENCE_MACRO} in the output path so each file gets its own name, got ${options.output}`,
		);
	}
	const files: SegmentInfo[] = [];
	const opened: string[] = [];
	const writer = new SegmentWriter({
		format,
		segmentationRule: options.segmentationRule ?? 'discontinuity',
		split,
		trackFilter: options.tracks === undefined ? undefined : TrackFilter.parse(options.tracks),
		openSegment: (sequence) => {
			const path = options.output.replaceAll(SEQUENCE_MACRO, String(sequence));
			opened.push(path);
			return { sink: new FileSink(path, { durable: false }), path };
		},
		onSegmentClosed: (info) => files.push(info),
	});
	const demuxer = createDemuxer(input.kind, writer);
	await pumpInputFile(input, demuxer, { drain: () => writer.drain(), stopped: () => writer.error !== undefined });
	await writer.close();
	if (writer.error) {
		// A file the writer gave up on is not a result: leave no half-made output behind.
		const finished = new Set(files.map((file) => file.path));
		for (const path of opened) if (!finished.has(path)) rmSync(path, { force: true });
		throw writer.error;
	}
	if (files.length === 0) {
		throw new TapedeckError(
			'corrupt_input',
			`no media written: ${options.input} has no ${demuxer.stats.packets ? 'keyframe to start from' : 'readable packets'}`,
		);
	}
	return { files, demux: { ...demuxer.stats }, writer: writer.stats };
};

/** The container named by a path's extension. */
export const formatFromPath = (path: string): ContainerFormat => {
	const extension = extname(path).toLowerCase();
	const format = FORMAT_BY_EXTENSION[extension];
	if (!format) {
		throw new TapedeckError(
			'invalid_argument',
			`cannot tell the output format from "${extension || path}"; use --format ${CONTAINER_FORMATS.join('|')}`,
		);
	}
	return format;
};

/** `tapedeck remux …`: prints one line per file written; returns the exit code. */
export const runRemux = async (argv: readonly string[]): Promise<number> => {
	const { values, positionals } = parseCommandLine(
		argv,
		{
			format: { type: 'string' },
			tracks: { type: 'string' },
			'split-interval-ms': { type: 'string' },
			'segmentation-rule': { type: 'string' },
			help: { type: 'boolean' },
			debug: { type: 'boolean' },
		},
		'remux',
	);
	if (values.help) {
		console.log(REMUX_USAGE);
		return 0;
	}
	const [input, output, extra] = positionals;
	if (!input || !output || extra !== undefined) {
		throw new TapedeckError('invalid_argument', 'remux needs exactly <input> and <output>; see tapedeck remux --help');
	}
	const result = await remuxFile({
		input,
		output,
		format: oneOf('--format', values.format, CONTAINER_FORMATS),
		tracks: values.tracks,
		splitIntervalMs: number('--split-interval-ms', values['split-interval-ms']),
		segmentationRule: oneOf('--segmentation-rule', values['segmentation-rule'], SEGMENTATION_RULES),
	});
	for (const file of result.files) {
		console.log(
			`${file.path}  ${file.format}  ${(file.durationMs / 1000).toFixed(3)} s  ${file.packets} packets  ${file.bytes} bytes`,
		);
	}
	return 0;
};

const oneOf = <T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T | undefined => {
	if (value === undefined) return undefined;
	if (!(allowed as readonly string[]).includes(value)) {
		throw new TapedeckError('invalid_argument', `${option} must be one of ${allowed.join(', ')}, got "${value}"`);
	}
	return value as T;
};

const number = (option: string, value: string | undefined): number | undefined => {
	if (value === undefined) return undefined;
	const parsed = Number(value);
	if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
		throw new TapedeckError('invalid_argument', `${option} must be a positive number of milliseconds, got "${value}"`);
	}
	return parsed;
};
