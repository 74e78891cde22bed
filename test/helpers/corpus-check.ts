/**
 * What a user checks of a remux of a corpus input, with ffprobe and ffmpeg as the judges: the
 * streams and packets of a file (one ffprobe run), the errors a full decode prints, and ffmpeg's
 * own `-c copy` remux as the reference for damaged inputs.
 */
import { run } from './process.ts';

/** Seconds; `pts` is NaN where the container stamps none (AVI video: frames in decode order). */
export type ProbedPacket = { readonly pts: number; readonly dts: number; readonly duration: number };

export type ProbedStream = {
	readonly index: number;
	readonly type: string;
	readonly codec: string;
	readonly width?: number;
	readonly height?: number;
	/** program_number of the program it belongs to (MPEG-TS), undefined elsewhere. */
	programId?: number;
	/** In file order. */
	readonly packets: ProbedPacket[];
};

type FfprobeJson = {
	programs?: { program_id: number; streams?: { index: number }[] }[];
	streams?: { index: number; codec_type: string; codec_name?: string; width?: number; height?: number }[];
	packets?: { stream_index: number; pts_time?: string; dts_time?: string; duration_time?: string }[];
};

/** Every stream of `file` with its packets, from one ffprobe run. */
export const probePackets = async (file: string): Promise<ProbedStream[]> => {
	const result = await run('ffprobe', [
		...['-v', 'error', '-show_programs', '-show_streams', '-show_packets', '-of', 'json'],
		...['-show_entries', 'packet=stream_index,pts_time,dts_time,duration_time'],
		...['-show_entries', 'stream=index,codec_type,codec_name,width,height:program=program_id:program_stream=index'],
		file,
	]);
	if (result.code !== 0) throw new Error(`ffprobe failed on ${file}: ${result.stderr}`);
	const json = JSON.parse(result.stdout) as FfprobeJson;
	const streams: ProbedStream[] = (json.streams ?? []).map((s) => ({
		index: s.index,
		type: s.codec_type,
		codec: s.codec_name ?? 'unknown',
		...(s.width !== undefined && { width: s.width, height: s.height }),
		packets: [],
	}));
	for (const program of json.programs ?? []) {
		for (const { index } of program.streams ?? []) {
			const stream = streams.find((s) => s.index === index);
			if (stream) stream.programId = program.program_id;
		}
	}
	for (const p of json.packets ?? []) {
		const pts = Number(p.pts_time ?? Number.NaN);
		const dts = Number(p.dts_time ?? p.pts_time ?? Number.NaN);
		streams.find((s) => s.index === p.stream_index)?.packets.push({ pts, dts, duration: Number(p.duration_time ?? 0) });
	}
	return streams;
};

/** The lines `ffmpeg -v error` prints decoding the whole file (none for a clean one). */
export const decodeErrorLines = async (file: string): Promise<string[]> => {
	const result = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'], 60_000);
	return result.stderr.split('\n').filter((line) => line.trim() !== '');
};

/** ffmpeg's own `-c copy` remux of `input` (all streams of `program`, or the first program) to `output`. */
export const ffmpegCopy = async (input: string, output: string, format: string, program = 1): Promise<void> => {
	// fmp4 as plain MP4: the same samples, and ffmpeg's fragmented writer cannot take ADTS AAC
	// (its header goes out before the first packet gives the bitstream filter its config).
	const muxer = { ts: 'mpegts', mp4: 'mp4', fmp4: 'mp4', mov: 'mov', flv: 'flv', avi: 'avi' }[format] ?? format;
	const result = await run('ffmpeg', [
		...['-nostdin', '-v', 'error', '-y', '-i', input, '-map', `0:p:${program}:v?`, '-map', `0:p:${program}:a?`],
		...['-c', 'copy', '-f', muxer, output],
	]);
	if (result.code !== 0) throw new Error(`ffmpeg -c copy to ${format} failed: ${result.stderr}`);
};

/** Whether the container stamps presentation times on the stream's packets (AVI video does not). */
export const hasPts = (stream: ProbedStream): boolean => !Number.isNaN(stream.packets[0]?.pts ?? Number.NaN);

/**
 * First time of a stream: its first packet in file order (a keyframe, for video), by presentation
 * time, or by decode time (`dts`) where the container has no presentation times to compare.
 */
export const startOf = (stream: ProbedStream, dts = false): number => {
	const first = stream.packets[0];
	return first ? (dts ? first.dts : first.pts) : Number.NaN;
};

/**
 * End of a stream: the latest PTS + duration among its last packets in file order (reordered
 * video ends on a packet before the last), so a timeline that jumped back mid-file ends where
 * its last packets are, not where the earlier part reached.
 */
export const endOf = (stream: ProbedStream, dts = false): number =>
	Math.max(...stream.packets.slice(-8).map((p) => (dts ? p.dts : p.pts) + p.duration));

/** The typical step between consecutive packets (the median): one audio frame for an audio stream. */
export const typicalStep = (stream: ProbedStream): number => {
	const steps = stream.packets
		.slice(1)
		.map((p, i) => p.dts - stream.packets[i]!.dts)
		.filter((step) => step > 0)
		.sort((a, b) => a - b);
	return steps[Math.floor(steps.length / 2)] ?? 0;
};
