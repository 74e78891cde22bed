/**
 * `tapedeck remux <input> <output>`: a file through the same pipeline a recording uses
 * (demuxer → SegmentWriter → muxer → FileSink), optionally split into numbered files.
 * What cannot be written as it was is a warning (the demuxer's and the writer's, counted in a
 * WarningLog); an audio or video stream left out makes the exit code REMUX_INCOMPLETE, with
 * everything else written.
 */
import { rmSync } from 'node:fs';
import { extname } from 'node:path';
import type { ProgramDescription } from '../../ingest/demux/ts/program-selector.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { CONTAINER_FORMATS, type ContainerFormat } from '../../mux/muxer.ts';
import { TapedeckError } from '../core/errors.ts';
import type { DemuxStats, MediaWarning } from '../core/media-receiver.ts';
import { type SegmentInfo, SegmentWriter, type SegmentWriterStats } from '../recorder/segment-writer.ts';
import { SEGMENTATION_RULES, type SegmentationRule } from '../recorder/segmentation-rule.ts';
import { SplitPolicy } from '../recorder/split-policy.ts';
import { TrackFilter } from '../recorder/track-filter.ts';
import { type RecordingWarning, type RecordingWarnings, WarningLog } from '../recorder/warning-log.ts';
import { FileSink } from '../sink/file-sink.ts';
import type { Sink } from '../sink/sink.ts';
import { parseCommandLine, programNumber } from './command-line.ts';
import { openDemuxer, openInputFile, pumpInputFile } from './input-file.ts';
import { type LeftOutStream, LeftOutStreams } from './left-out-streams.ts';
import { OutputPaths, SEQUENCE_MACRO } from './output-paths.ts';
import { StdoutSink } from './stdout-sink.ts';
import { MAX_PRINTED, WarningPrinter } from './warning-printer.ts';

export { SEQUENCE_MACRO } from './output-paths.ts';

/** Exit code of a remux that wrote its file(s) but had to leave out an audio or video stream. */
export const REMUX_INCOMPLETE = 3;
/** The output name that means standard output. */
export const STDOUT = '-';
/** Containers written front to back, which a pipe can take. */
const STREAMABLE_FORMATS: readonly ContainerFormat[] = ['ts', 'fmp4', 'flv'];

export type RemuxOptions = {
	readonly input: string;
	/** May hold `${Sequence}`; must when splitting. `-` is standard output. */
	readonly output: string;
	/** Default: from the output's extension. */
	readonly format?: ContainerFormat;
	/** Track ids and/or names, comma-separated. */
	readonly tracks?: string;
	readonly splitIntervalMs?: number;
	readonly segmentationRule?: SegmentationRule;
	/** Replace files that exist already (default false: an existing output is refused). */
	readonly overwrite?: boolean;
	/** MPEG-TS: the program_number to record (default: the demuxer's choice, the first program with video). */
	readonly program?: number;
	/** Hears every warning as it is raised, repeats too (the CLI prints each distinct one once). */
	readonly onWarning?: (warning: RecordingWarning) => void;
};

export type RemuxResult = {
	readonly files: readonly SegmentInfo[];
	readonly demux: DemuxStats;
	readonly writer: SegmentWriterStats;
	/** What did not reach the files as it was: counts by code and the distinct warnings with theirs. */
	readonly warnings: RecordingWarnings;
	/** Kept streams the container cannot carry, which are not in the output. */
	readonly leftOut: readonly LeftOutStream[];
	/** 0, or REMUX_INCOMPLETE when an audio or video stream is not in the output. */
	readonly exitCode: number;
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
<output> "-" writes to standard output (--format ${STREAMABLE_FORMATS.join('|')}).

Never destroys a file: the input is never the output, an existing output is refused unless
--overwrite is given, and when the stream needs a later file (a new resolution, a late track)
and the output has no \${Sequence}, that file is written as name_1.ext, name_2.ext, …

Options:
  --format <f>                 ${CONTAINER_FORMATS.join('|')} (default: from the output extension; fmp4 needs it)
  --tracks <list>              keep only these tracks: ids and/or names, comma-separated (e.g. 1,audio)
  --program <n>                MPEG-TS: record program number n (default: the first program with video)
  --split-interval-ms <n>      start a new file at the first keyframe after every n ms of media;
                               the output must contain \${Sequence} (e.g. part-\${Sequence}.mp4)
  --segmentation-rule <rule>   continuity (files carry on each other's timestamps) or
                               discontinuity (every file starts at 0; default)
  -y, --overwrite              replace output files that exist already
  -h, --help                   show this help
  --debug                      print stack traces

Warnings (streams not carried, data lost to damage, timestamp jumps) go to stderr, each once,
with counts at the end.

Exit codes: 0 all written; 1 error, nothing written; ${REMUX_INCOMPLETE} written, but an audio or video
stream could not be (named in a warning); 141 standard output closed by its reader.`;

/** Remuxes a file; resolves with what was written, rejects with a TapedeckError. */
export const remuxFile = async (options: RemuxOptions): Promise<RemuxResult> => {
	const input = openInputFile(options.input);
	const toStdout = options.output === STDOUT;
	const format = options.format ?? (toStdout ? 'ts' : formatFromPath(options.output));
	if (toStdout && !STREAMABLE_FORMATS.includes(format)) {
		throw new TapedeckError(
			'invalid_argument',
			`${format} cannot be written to standard output (it is patched at the end); use --format ${STREAMABLE_FORMATS.join('|')}`,
		);
	}
	const split =
		options.splitIntervalMs === undefined ? undefined : new SplitPolicy({ intervalMs: options.splitIntervalMs });
	if (split && (toStdout || !options.output.includes(SEQUENCE_MACRO))) {
		throw new TapedeckError(
			'invalid_argument',
			`splitting needs ${SEQUENCE_MACRO} in the output path so each file gets its own name, got ${options.output}`,
		);
	}
	const warnings = new WarningLog(MAX_PRINTED);
	const now = new Date();
	const warn = (warning: RecordingWarning) => {
		warnings.add(warning, now);
		options.onWarning?.(warning);
	};
	const paths = toStdout ? undefined : new OutputPaths(options.output, options.input, options.overwrite ?? false);
	const files: SegmentInfo[] = [];
	const opened: string[] = [];
	const openSink = (sequence: number): { sink: Sink; path: string } => {
		if (!paths) {
			if (sequence > 0)
				throw new TapedeckError('unsupported', 'the stream needs a second file, and standard output is one');
			return { sink: new StdoutSink(), path: STDOUT };
		}
		const { path, renamed } = paths.take(sequence);
		if (renamed)
			warn({ code: 'file', message: `the stream needs a new file (file ${sequence + 1}): written to ${path}` });
		opened.push(path);
		// Created new (O_EXCL, no link followed) unless --overwrite: no file is replaced even if one appears meanwhile.
		return { sink: new FileSink(path, { durable: false, exclusive: !options.overwrite }), path };
	};
	const filter = options.tracks === undefined ? undefined : TrackFilter.parse(options.tracks);
	const writer = new SegmentWriter({
		format,
		segmentationRule: options.segmentationRule ?? 'discontinuity',
		split,
		trackFilter: filter,
		openSegment: openSink,
		onSegmentClosed: (info) => files.push(info),
		onWarning: (warning: MediaWarning) => warn(warning),
	});
	const leftOut = new LeftOutStreams(format, filter, writer);
	const demuxer = openDemuxer(input, leftOut, options.program);
	await pumpInputFile(input, demuxer, { drain: () => writer.drain(), stopped: () => writer.error !== undefined });
	await writer.close();
	if (writer.error) {
		// A file the writer gave up on is not a result: leave no half-made output behind.
		const finished = new Set(files.map((file) => file.path));
		for (const path of opened) if (!finished.has(path)) rmSync(path, { force: true });
		throw writer.error;
	}
	const left = leftOut.streams;
	if (files.length === 0) throw nothingWritten(options.input, format, left, demuxer.stats.packets > 0);
	const incomplete =
		left.some((stream) => stream.kind === 'audio' || stream.kind === 'video') ||
		(demuxer instanceof TsDemuxer && demuxer.programs.some(hasUnreadMedia));
	return {
		files,
		demux: { ...demuxer.stats },
		writer: writer.stats,
		warnings: warnings.snapshot,
		leftOut: left,
		exitCode: incomplete ? REMUX_INCOMPLETE : 0,
	};
};

/**
 * Audio and video stream kinds tapedeck does not read, by the TS demuxer's names (MPEG-4 part 2
 * video, stream_type 0x10; E-AC-3, 0x87 or the DVB descriptor): the demuxer warns about them, and
 * in the recorded program they make the remux incomplete.
 */
const UNREAD_MEDIA = new Set(['MPEG-4 video', 'E-AC-3']);

const hasUnreadMedia = (program: ProgramDescription): boolean =>
	program.selected && program.streams.some((s) => s.codec === undefined && UNREAD_MEDIA.has(s.name));

const nothingWritten = (
	input: string,
	format: ContainerFormat,
	leftOut: readonly LeftOutStream[],
	hadPackets: boolean,
): TapedeckError => {
	if (leftOut.length > 0) {
		const streams = leftOut.map((s) => `track ${s.trackId} (${s.kind} ${s.codec})`).join(', ');
		return new TapedeckError('unsupported', `no media written: ${format} cannot carry ${streams} of ${input}`);
	}
	return new TapedeckError(
		'corrupt_input',
		`no media written: ${input} has no ${hadPackets ? 'keyframe to start from' : 'readable packets'}`,
	);
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
			program: { type: 'string' },
			overwrite: { type: 'boolean', short: 'y' },
			help: { type: 'boolean', short: 'h' },
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
	const printer = new WarningPrinter((line) => console.error(line));
	const result = await remuxFile({
		input,
		output,
		format: oneOf('--format', values.format, CONTAINER_FORMATS),
		tracks: values.tracks,
		program: programNumber(values.program),
		splitIntervalMs: number('--split-interval-ms', values['split-interval-ms']),
		segmentationRule: oneOf('--segmentation-rule', values['segmentation-rule'], SEGMENTATION_RULES),
		overwrite: values.overwrite,
		onWarning: (warning) => printer.add(warning),
	});
	printer.summary(result.warnings);
	// With the media on standard output, the list of files written goes to stderr.
	const report = output === STDOUT ? console.error : console.log;
	for (const file of result.files) {
		report(
			`${file.path}  ${file.format}  ${(file.durationMs / 1000).toFixed(3)} s  ${file.packets} packets  ${file.bytes} bytes`,
		);
	}
	return result.exitCode;
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
