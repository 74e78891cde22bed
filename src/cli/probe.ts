/**
 * `tapedeck probe <file>`: what tapedeck's own demuxer sees in a file: tracks, packet and keyframe
 * counts, durations, and the demuxer's loss counters. Useful next to ffprobe when they disagree.
 */
import type { ProgramDescription } from '../../ingest/demux/ts/program-selector.ts';
import { TsDemuxer } from '../../ingest/demux/ts/ts-demuxer.ts';
import { TapedeckError } from '../core/errors.ts';
import type { DemuxStats } from '../core/media-receiver.ts';
import { type TrackSummary, trackSummary } from '../core/track.ts';
import type { RecordingWarnings } from '../recorder/warning-log.ts';
import { parseCommandLine, programNumber } from './command-line.ts';
import { KIND_NAMES, openDemuxer, openInputFile, pumpInputFile } from './input-file.ts';
import { type ParameterSpan, ProbeReceiver } from './probe-receiver.ts';

/** With the last parameters announced; `parameters` has each change with its time. */
export type ProbedTrack = TrackSummary & {
	readonly packets: number;
	readonly keyframes: number;
	readonly bytes: number;
	/** Seconds from the earliest PTS to the end of the last frame (its PTS + its duration). */
	readonly durationS: number;
	/** Seconds, as the source stamped them (after unwrapping). */
	readonly firstPtsS: number;
	readonly firstDtsS: number;
	/** Video: frames per second from the DTS span. */
	readonly frameRate?: number;
	/** The parameters over time: one entry from the first packet, one more per change (e.g. a new resolution). */
	readonly parameters: readonly ParameterSpan[];
};

export type ProbeResult = {
	readonly path: string;
	readonly container: string;
	readonly size: number;
	/** MPEG-TS: every program of the PAT with every stream, read or not, and which program the tracks are of. */
	readonly programs?: readonly ProgramDescription[];
	readonly tracks: readonly ProbedTrack[];
	/** What the demuxer could not deliver as it was: streams it does not carry, damage, jumps. */
	readonly warnings: RecordingWarnings;
	readonly demux: DemuxStats;
};

export const PROBE_USAGE = `Usage: tapedeck probe <file> [--json] [--program <n>]

Shows an MPEG-TS or FLV file as tapedeck's demuxer reads it: every program and stream of a TS
(read or not, and why not); the tracks of the program recorded, with codec, size or sample rate
and each change of them with its time, packet and keyframe counts, duration (to the end of the
last frame); the warnings of what it could not read as it was; its loss counters.

Options:
  --json          print the result as JSON
  --program <n>   MPEG-TS: the program whose tracks to count (default: the first with video)
  -h, --help      show this help
  --debug         print stack traces`;

export const probeFile = async (path: string, program?: number): Promise<ProbeResult> => {
	const input = openInputFile(path);
	const receiver = new ProbeReceiver();
	const demuxer = openDemuxer(input, receiver, program);
	await pumpInputFile(input, demuxer);
	const tracks = [...receiver.tallies.values()].map(({ track, ...t }): ProbedTrack => {
		const durationS = t.packets > 0 ? (t.maxEnd - t.minPts) / track.timescale : 0;
		const dtsSpanS = (t.lastDts - t.firstDts) / track.timescale;
		return {
			...trackSummary(track),
			packets: t.packets,
			keyframes: t.keyframes,
			bytes: t.bytes,
			durationS,
			firstPtsS: t.firstPts / track.timescale,
			firstDtsS: t.firstDts / track.timescale,
			...(track.kind === 'video' && dtsSpanS > 0 && { frameRate: (t.packets - 1) / dtsSpanS }),
			parameters: t.spans,
		};
	});
	return {
		path,
		container: KIND_NAMES[input.kind],
		size: input.size,
		...(demuxer instanceof TsDemuxer && { programs: demuxer.programs }),
		tracks,
		warnings: receiver.warnings.snapshot,
		demux: { ...demuxer.stats },
	};
};

/** The human-readable report. */
export const formatProbe = (result: ProbeResult): string => {
	const lines = [`${result.path}: ${result.container}, ${result.size} bytes`];
	for (const p of result.programs ?? []) {
		lines.push(`  program ${p.programNumber}${p.selected ? ' (recorded)' : ''}: PMT PID ${hex(p.pmtPid)}`);
		for (const s of p.streams) {
			const read = s.codec
				? `${s.codec}${s.carried ? '' : ', not recorded'}`
				: s.carried
					? 'read as its payload says (see its track)'
					: 'unsupported: tapedeck does not read it';
			lines.push(`    PID ${hex(s.pid)}: stream type ${hex(s.streamType, 2)} (${s.name}): ${read}`);
		}
	}
	for (const t of result.tracks) {
		const rate = t.frameRate ? ` ${t.frameRate.toFixed(2)} fps` : '';
		lines.push(
			`  track ${t.id} "${t.name}": ${t.kind} ${t.codec} ${shape(t)}${rate}, ${t.packets} packets, ${t.keyframes} keyframes, ` +
				`${t.durationS.toFixed(3)} s from pts ${t.firstPtsS.toFixed(3)} s`,
		);
		if (t.parameters.length > 1) {
			lines.push(`    changes: ${t.parameters.map((p) => `${shape(p)} from ${p.atS.toFixed(3)} s`).join(', ')}`);
		}
	}
	for (const w of result.warnings.recent) lines.push(`  warning${w.count > 1 ? ` ×${w.count}` : ''}: ${w.message}`);
	const d = result.demux;
	lines.push(
		`  demux: ${d.bytes} bytes, ${d.packets} packets, ${d.skippedBytes} bytes skipped, ` +
			`${d.discontinuities} discontinuities, ${d.droppedUnits} units dropped`,
	);
	return lines.join('\n');
};

const hex = (value: number, digits = 4): string => `0x${value.toString(16).padStart(digits, '0')}`;

/** `160x90` for video, `48000 Hz 2 ch` for audio, nothing for data. */
const shape = (p: Omit<ParameterSpan, 'atS'>): string =>
	p.width !== undefined
		? `${p.width}x${p.height}`
		: p.sampleRate !== undefined
			? `${p.sampleRate} Hz ${p.channels} ch`
			: '';

/** `tapedeck probe …`: returns the exit code. */
export const runProbe = async (argv: readonly string[]): Promise<number> => {
	const { values, positionals } = parseCommandLine(
		argv,
		{
			json: { type: 'boolean' },
			program: { type: 'string' },
			help: { type: 'boolean', short: 'h' },
			debug: { type: 'boolean' },
		},
		'probe',
	);
	if (values.help) {
		console.log(PROBE_USAGE);
		return 0;
	}
	const [path, extra] = positionals;
	if (!path || extra !== undefined) {
		throw new TapedeckError('invalid_argument', 'probe needs exactly one <file>; see tapedeck probe --help');
	}
	const result = await probeFile(path, programNumber(values.program));
	console.log(values.json ? JSON.stringify(result, null, 2) : formatProbe(result));
	return 0;
};
