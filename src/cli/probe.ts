/**
 * `tapedeck probe <file>`: what tapedeck's own demuxer sees in a file: tracks, packet and keyframe
 * counts, durations, and the demuxer's loss counters. Useful next to ffprobe when they disagree.
 */
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { TapedeckError } from '../core/errors.ts';
import type { DemuxStats, MediaReceiver } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import { parseCommandLine } from './command-line.ts';
import { KIND_NAMES, openInputFile, pumpInputFile } from './input-file.ts';

export type ProbedTrack = {
	readonly id: number;
	readonly kind: Track['kind'];
	readonly codec: Track['codec'];
	readonly name: string;
	readonly width?: number;
	readonly height?: number;
	readonly sampleRate?: number;
	readonly channels?: number;
	readonly packets: number;
	readonly keyframes: number;
	readonly bytes: number;
	/** Seconds from the earliest PTS to the latest PTS + duration. */
	readonly durationS: number;
	/** Seconds, as the source stamped them (after unwrapping). */
	readonly firstPtsS: number;
	readonly firstDtsS: number;
	/** Video: frames per second from the DTS span. */
	readonly frameRate?: number;
};

export type ProbeResult = {
	readonly path: string;
	readonly container: string;
	readonly size: number;
	readonly tracks: readonly ProbedTrack[];
	readonly demux: DemuxStats;
};

export const PROBE_USAGE = `Usage: tapedeck probe <file> [--json]

Shows the tracks of an MPEG-TS or FLV file as tapedeck's demuxer reads them: codec, size or
sample rate, packet and keyframe counts, duration, and the demuxer's loss counters.

Options:
  --json    print the result as JSON
  --debug   print stack traces`;

type Tally = {
	track: Track;
	packets: number;
	keyframes: number;
	bytes: number;
	minPts: number;
	maxEnd: number;
	firstPts: number;
	firstDts: number;
	lastDts: number;
};

/** Counts what a demuxer delivers, per track; re-announced tracks keep their counts. */
class TallyReceiver implements MediaReceiver {
	readonly tallies = new Map<number, Tally>();

	announce(tracks: readonly Track[]): void {
		for (const track of tracks) {
			const tally = this.tallies.get(track.id);
			if (tally) tally.track = track;
			else this.tallies.set(track.id, { track, packets: 0, keyframes: 0, bytes: 0, ...EMPTY_TIMES });
		}
	}

	push(packet: Packet): void {
		const tally = this.tallies.get(packet.trackId);
		if (!tally) return;
		if (tally.packets === 0) {
			tally.firstPts = packet.pts;
			tally.firstDts = packet.dts;
		}
		tally.packets++;
		tally.lastDts = packet.dts;
		if (packet.keyframe) tally.keyframes++;
		tally.bytes += packet.data.length;
		if (packet.pts < tally.minPts) tally.minPts = packet.pts;
		const end = packet.pts + packet.duration;
		if (end > tally.maxEnd) tally.maxEnd = end;
	}
}

const EMPTY_TIMES = {
	minPts: Number.POSITIVE_INFINITY,
	maxEnd: Number.NEGATIVE_INFINITY,
	firstPts: 0,
	firstDts: 0,
	lastDts: 0,
};

export const probeFile = async (path: string): Promise<ProbeResult> => {
	const input = openInputFile(path);
	const receiver = new TallyReceiver();
	const demuxer = createDemuxer(input.kind, receiver);
	await pumpInputFile(input, demuxer);
	const tracks = [...receiver.tallies.values()].map(({ track, ...t }): ProbedTrack => {
		const durationS = t.packets > 0 ? (t.maxEnd - t.minPts) / track.timescale : 0;
		const dtsSpanS = (t.lastDts - t.firstDts) / track.timescale;
		return {
			id: track.id,
			kind: track.kind,
			codec: track.codec,
			name: track.name,
			...(track.video && { width: track.video.width, height: track.video.height }),
			...(track.audio && { sampleRate: track.audio.sampleRate, channels: track.audio.channels }),
			packets: t.packets,
			keyframes: t.keyframes,
			bytes: t.bytes,
			durationS,
			firstPtsS: t.firstPts / track.timescale,
			firstDtsS: t.firstDts / track.timescale,
			...(track.kind === 'video' && dtsSpanS > 0 && { frameRate: (t.packets - 1) / dtsSpanS }),
		};
	});
	return { path, container: KIND_NAMES[input.kind], size: input.size, tracks, demux: { ...demuxer.stats } };
};

/** The human-readable report. */
export const formatProbe = (result: ProbeResult): string => {
	const lines = [`${result.path}: ${result.container}, ${result.size} bytes`];
	for (const t of result.tracks) {
		const shape =
			t.kind === 'video'
				? `${t.width ?? '?'}x${t.height ?? '?'}${t.frameRate ? ` ${t.frameRate.toFixed(2)} fps` : ''}`
				: t.kind === 'audio'
					? `${t.sampleRate ?? '?'} Hz ${t.channels ?? '?'} ch`
					: '';
		lines.push(
			`  track ${t.id} "${t.name}": ${t.kind} ${t.codec} ${shape}, ${t.packets} packets, ${t.keyframes} keyframes, ` +
				`${t.durationS.toFixed(3)} s from pts ${t.firstPtsS.toFixed(3)} s`,
		);
	}
	const d = result.demux;
	lines.push(
		`  demux: ${d.bytes} bytes, ${d.packets} packets, ${d.skippedBytes} bytes skipped, ` +
			`${d.discontinuities} discontinuities, ${d.droppedUnits} units dropped`,
	);
	return lines.join('\n');
};

/** `tapedeck probe …`: returns the exit code. */
export const runProbe = async (argv: readonly string[]): Promise<number> => {
	const { values, positionals } = parseCommandLine(
		argv,
		{ json: { type: 'boolean' }, help: { type: 'boolean' }, debug: { type: 'boolean' } },
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
	const result = await probeFile(path);
	console.log(values.json ? JSON.stringify(result, null, 2) : formatProbe(result));
	return 0;
};
