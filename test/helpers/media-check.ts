import { createHash } from 'node:crypto';
import { type RunResult, run } from './process.ts';

/** What ffprobe sees of one stream. */
export type ProbedStream = {
	index: number;
	codecType: 'video' | 'audio' | string;
	codecName: string;
	packets: number;
	keyframes: number;
	/** Seconds, from the first packet's PTS. */
	firstPts: number;
	/** Seconds covered by the stream's packets (max pts + duration − min pts). */
	duration: number;
	/** PTS (seconds) of each packet, in file order. */
	pts: number[];
	/** DTS (seconds) of each packet, in file order. */
	dts: number[];
	/** Seconds of each key packet's PTS. */
	keyframePts: number[];
};

type FfprobePacket = {
	stream_index: number;
	pts_time?: string;
	dts_time?: string;
	duration_time?: string;
	flags?: string;
};

type FfprobeStream = { index: number; codec_type: string; codec_name: string };

/** `ffprobe -v error` on the file: the text it prints (empty for a clean file). */
export const ffprobeErrors = async (file: string): Promise<string> => {
	const result = await run('ffprobe', ['-v', 'error', '-i', file]);
	return result.stderr.trim();
};

/** Full decode with `ffmpeg -v error -f null -`: the errors it prints (empty for a clean file). */
export const decodeErrors = async (file: string, timeoutMs = 120_000): Promise<string> => {
	const result = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'], timeoutMs);
	return result.stderr.trim();
};

/** Per-stream packet facts from `ffprobe -show_packets`. */
export const probeStreams = async (file: string): Promise<ProbedStream[]> => {
	const result = await run('ffprobe', [
		'-v',
		'error',
		'-show_streams',
		'-show_packets',
		'-show_entries',
		'packet=stream_index,pts_time,dts_time,duration_time,flags:stream=index,codec_type,codec_name',
		'-of',
		'json',
		file,
	]);
	if (result.code !== 0) throw new Error(`ffprobe failed on ${file}: ${result.stderr}`);
	const parsed = JSON.parse(result.stdout) as { streams?: FfprobeStream[]; packets?: FfprobePacket[] };
	const streams: ProbedStream[] = (parsed.streams ?? []).map((s) => ({
		index: s.index,
		codecType: s.codec_type,
		codecName: s.codec_name,
		packets: 0,
		keyframes: 0,
		firstPts: Number.POSITIVE_INFINITY,
		duration: 0,
		pts: [],
		dts: [],
		keyframePts: [],
	}));
	const ends = new Map<number, number>();
	for (const p of parsed.packets ?? []) {
		const s = streams[p.stream_index];
		if (!s) continue;
		const pts = Number(p.pts_time ?? p.dts_time ?? Number.NaN);
		const dts = Number(p.dts_time ?? p.pts_time ?? Number.NaN);
		s.packets++;
		s.pts.push(pts);
		s.dts.push(dts);
		if (p.flags?.includes('K')) {
			s.keyframes++;
			s.keyframePts.push(pts);
		}
		if (pts < s.firstPts) s.firstPts = pts;
		const end = pts + Number(p.duration_time ?? 0);
		ends.set(s.index, Math.max(ends.get(s.index) ?? Number.NEGATIVE_INFINITY, end));
	}
	for (const s of streams) s.duration = s.packets ? (ends.get(s.index) ?? 0) - s.firstPts : 0;
	return streams;
};

/**
 * A/V sync across split files: in each file, audio must start relative to video exactly as the same
 * packets did in the input (files hold consecutive runs of the input's packets). Returns one line per
 * file whose offset differs from the input's by more than `toleranceS`; empty when all agree.
 */
export const avOffsetMismatches = (input: ProbedStream[], files: ProbedStream[][], toleranceS = 0.001): string[] => {
	const byType = (streams: ProbedStream[], type: string) => streams.find((s) => s.codecType === type);
	const [inVideo, inAudio] = [byType(input, 'video'), byType(input, 'audio')];
	if (!inVideo || !inAudio) return [];
	const mismatches: string[] = [];
	let videoIndex = 0;
	let audioIndex = 0;
	for (const [i, streams] of files.entries()) {
		const [video, audio] = [byType(streams, 'video'), byType(streams, 'audio')];
		if (!video || !audio) continue;
		const inputVideoStart = Math.min(...inVideo.pts.slice(videoIndex, videoIndex + video.packets));
		const inputAudioStart = Math.min(...inAudio.pts.slice(audioIndex, audioIndex + audio.packets));
		const [expected, actual] = [inputAudioStart - inputVideoStart, audio.firstPts - video.firstPts];
		if (Math.abs(actual - expected) > toleranceS) {
			mismatches.push(`file ${i}: A/V offset ${actual.toFixed(4)} s vs input ${expected.toFixed(4)} s`);
		}
		videoIndex += video.packets;
		audioIndex += audio.packets;
	}
	return mismatches;
};

/** Container-level duration in seconds as ffprobe reports it. */
export const formatDuration = async (file: string): Promise<number> => {
	const result = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
	return Number(result.stdout.trim());
};

/** Codec parameters of one stream as ffprobe reads them, with the container's decoder config bytes. */
export type ProbedCodec = {
	index: number;
	codecName: string;
	width?: number;
	height?: number;
	sampleRate?: number;
	channels?: number;
	/** Decoder config as the container stores it (avcC, hvcC, AudioSpecificConfig in MP4; Annex B in TS). */
	extradata: Uint8Array;
};

/** Per-stream codec parameters and extradata from `ffprobe -show_streams -show_data`. */
export const probeCodecs = async (file: string): Promise<ProbedCodec[]> => {
	const result = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_data', '-of', 'json', file]);
	if (result.code !== 0) throw new Error(`ffprobe failed on ${file}: ${result.stderr}`);
	type Stream = {
		index: number;
		codec_name: string;
		width?: number;
		height?: number;
		sample_rate?: string;
		channels?: number;
		extradata?: string;
	};
	const parsed = JSON.parse(result.stdout) as { streams?: Stream[] };
	return (parsed.streams ?? []).map((s) => ({
		index: s.index,
		codecName: s.codec_name,
		width: s.width,
		height: s.height,
		sampleRate: s.sample_rate === undefined ? undefined : Number(s.sample_rate),
		channels: s.channels,
		extradata: hexDumpBytes(s.extradata ?? ''),
	}));
};

/** The bytes of an ffprobe hex dump (`00000000: 0164 000d …  .d..`). */
const hexDumpBytes = (dump: string): Uint8Array => {
	const hex = dump
		.split('\n')
		.map((line) => line.slice(10, 50).replace(/\s/g, ''))
		.join('');
	return Uint8Array.from(hex.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
};

export const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** One packet as `ffmpeg -f framemd5` lists it: timestamps in the stream's time base, size, md5 of the bytes. */
export type HashedFrame = { dts: number; pts: number; size: number; md5: string };

/**
 * Per-stream packets of a file as ffmpeg reads them (`-f framemd5`, timestamps as stored: `-copyts`),
 * with each stream's media type and extradata md5. Streams 0 and 1 only.
 */
export const hashedFrames = async (
	file: string,
): Promise<{ kinds: string[]; extradata: string[]; frames: HashedFrame[][] }> => {
	const out = await run('ffmpeg', [
		'-nostdin',
		'-v',
		'error',
		'-copyts',
		'-i',
		file,
		'-map',
		'0',
		'-c',
		'copy',
		'-f',
		'framemd5',
		'-',
	]);
	const kinds: string[] = [];
	const extradata: string[] = [];
	const frames: HashedFrame[][] = [[], []];
	for (const line of out.stdout.split('\n')) {
		const kind = /^#media_type (\d+): (\w+)/.exec(line);
		if (kind) kinds[Number(kind[1])] = kind[2]!;
		const extra = /^#extradata (\d+),\s*\d+,\s*(\w+)/.exec(line);
		if (extra) extradata[Number(extra[1])] = extra[2]!;
		if (line.startsWith('#') || line.trim() === '') continue;
		const [index, dts, pts, , size, hash] = line.split(',').map((s) => s.trim());
		frames[Number(index)]!.push({ dts: Number(dts), pts: Number(pts), size: Number(size), md5: hash! });
	}
	return { kinds, extradata, frames };
};

/** Seeks to `seconds` and decodes one video frame (`ffmpeg -ss … -frames:v 1 -f null`): stderr is empty when the index works. */
export const seekOneFrame = (file: string, seconds: number): Promise<RunResult> =>
	run('ffmpeg', ['-nostdin', '-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-f', 'null', '-']);

/** mediainfo's view of a file (`--Output=JSON`): one record of fields per track, `@type` General, Video or Audio. */
export const mediainfoTracks = async (file: string): Promise<Record<string, string>[]> => {
	const info = await run('mediainfo', ['--Output=JSON', file]);
	return (JSON.parse(info.stdout) as { media: { track: Record<string, string>[] } }).media.track;
};
