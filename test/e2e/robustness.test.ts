/**
 * Acceptance: errors stay local, end to end. A real server process records two healthy streams (ffmpeg over
 * RTMP to the built-in listener, and over UDP to a listen job) while, on other jobs, HTTP, UDP and SRT
 * publishers send the inputs that used to end the process: an 8 KB TS of H.264 whose one AC-3 frame at the
 * end lacks its sync word (ATSC A/52 §5.4.1 syncword 0x0B77), and a live stream with one such frame in its
 * middle; and an RTMP publisher (ffmpeg) whose AAC stream has, in its middle, a sequence header with an
 * unreadable AudioSpecificConfig (audioObjectType 0, Null) where a frame was, which used to be taken as a
 * new configuration no container can carry, failing the recording. The server must stay up, the healthy
 * files be frame-complete, the bad recordings carry on past the bad frame and say so in getStat, and no job
 * stay in `error`.
 */
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { pesTimes, pidOfStreamType } from '../helpers/corpus-ts.ts';
import { flvTags } from '../helpers/flv-tags.ts';
import { probeStreams } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import { packetsOf, payloadAt, unitStartAt } from '../helpers/ts-edit.ts';
import { ffmpegMake, H264_FAST, lavfiInputs } from '../helpers/ts-media.ts';
import {
	newDataDir,
	pushWithFfmpeg,
	type RecordingView,
	type Server,
	sleep,
	startServer,
	waitFor,
} from './server-process.ts';

/** ISO/IEC 13818-1 Table 2-34: AC-3 audio as ATSC carries it. */
const AC3_STREAM_TYPE = 0x81;
/** Seven TS packets: what live publishers put in one datagram. */
const CHUNK = 1316;
const LIVE_SECONDS = 4;
/** AC-3, one frame per PES (ffmpeg groups audio frames into PES otherwise): the damage hits exactly one frame. */
const AC3 = ['-c:a', 'ac3', '-b:a', '96k', '-pes_payload_size', '0'] as const;

let server: Server;
let dir: string;
let rtmpPort: number;

test.before(async () => {
	dir = newDataDir();
	rtmpPort = await freePort();
	server = await startServer(await freePort(), join(dir, 'data'), ['--rtmp-port', String(rtmpPort)]);
});

test.after(async () => {
	await server?.peer.stop();
});

type Stat = {
	id: string;
	state: string;
	state_reason: string;
	input_stats: Record<string, unknown> | null;
	warnings: {
		total: number;
		by_code: Record<string, number>;
		recent: Array<{ code: string; message: string; count: number }>;
	};
};
const getById = (id: string) => server.api<RecordingView>('getById', { id });
const stats = () => server.api<Stat[]>('getStat');

const create = async (name: string, input: Record<string, unknown>): Promise<string> => {
	const created = await server.api<{ id: string; success: string }>('create', {
		recording_name: name,
		recording_type: 'RECORDING_STREAM_TO_FILE',
		input,
		output_format: 'ts',
		active: true,
	});
	assert.is(created.success, 'true');
	return created.id;
};
const listen = (type: 'HTTP' | 'UDP' | 'SRT', port: number) => ({
	input_type: `INPUT_TYPE_${type}_LISTEN`,
	input_stream_listen_port: { port, transport: type === 'HTTP' ? 'TCP' : 'UDP' },
});

/** ffmpeg encoding `seconds` of 160x120 test pattern and tone, with the given audio codec, to `name`. */
const encode = async (name: string, seconds: number, audio: readonly string[]): Promise<string> => {
	const path = join(dir, name);
	await ffmpegMake([...lavfiInputs(seconds), ...H264_FAST, '-g', '25', ...audio], path);
	return path;
};

/**
 * `ts` with the sync word of the AC-3 frame that opens the `which`-th AC-3 PES (of those that open one)
 * zeroed, and that frame's PTS in seconds. ffmpeg starts every AC-3 PES on a frame.
 */
const withoutSyncWord = (ts: Uint8Array, which: (count: number) => number): { bytes: Uint8Array; pts: number } => {
	const bytes = ts.slice();
	const starts = packetsOf(bytes, pidOfStreamType(bytes, AC3_STREAM_TYPE)).filter((at) => unitStartAt(bytes, at));
	const at = payloadAt(bytes, starts[which(starts.length)]!);
	const { pts, headerEnd } = pesTimes(bytes, at);
	assert.equal([bytes[headerEnd], bytes[headerEnd + 1]], [0x0b, 0x77], 'the PES opens on an AC-3 frame');
	bytes[headerEnd] = 0;
	bytes[headerEnd + 1] = 0;
	return { bytes, pts: (pts ?? 0) / 90_000 };
};

/**
 * `flv` with its middle AAC frame turned into an AAC sequence header (AACPacketType 0) whose
 * AudioSpecificConfig says audioObjectType 0 (ISO/IEC 14496-3 Table 1.1: Null) at 48 kHz stereo, and
 * that frame's time in seconds.
 */
const withCorruptAacHeader = (flv: Uint8Array): { bytes: Uint8Array; pts: number } => {
	const bytes = flv.slice();
	const frames = flvTags(bytes).filter((t) => t.type === 8 && bytes[t.body + 1] === 1);
	const tag = frames[frames.length >> 1]!;
	bytes[tag.body + 1] = 0; // AACPacketType: sequence header
	bytes.set([0b0000_0001, 0b1001_0000], tag.body + 2); // objectType 0, samplingFrequencyIndex 3, channels 2
	return { bytes, pts: tag.ms / 1000 };
};

/** Hands `bytes` to `send` in 1316-byte chunks spread evenly over `seconds`, as a live encoder sends. */
const paced = async (bytes: Uint8Array, seconds: number, send: (chunk: Uint8Array) => unknown): Promise<void> => {
	const count = Math.ceil(bytes.length / CHUNK);
	const start = Date.now();
	for (let i = 0; i < count; i++) {
		const due = start + (i * seconds * 1000) / count - Date.now();
		if (due > 0) await sleep(due);
		await send(bytes.subarray(i * CHUNK, (i + 1) * CHUNK));
	}
};

const postHttp = async (port: number, bytes: Uint8Array, seconds: number): Promise<void> => {
	let feeding: Promise<void> | undefined;
	const body = new ReadableStream<Uint8Array>({
		start(controller) {
			feeding = paced(bytes, seconds, (chunk) => controller.enqueue(chunk.slice())).then(() => controller.close());
		},
	});
	const response = await fetch(`http://127.0.0.1:${port}/live`, {
		method: 'POST',
		headers: { 'content-type': 'video/mp2t' },
		body,
		duplex: 'half',
	} as RequestInit);
	await feeding;
	await response.arrayBuffer();
};

const sendUdp = async (port: number, bytes: Uint8Array, seconds: number): Promise<void> => {
	const socket = createSocket('udp4');
	try {
		await paced(
			bytes,
			seconds,
			(chunk) => new Promise<void>((done) => socket.send(chunk, port, '127.0.0.1', () => done())),
		);
	} finally {
		socket.close();
	}
};

/**
 * ffmpeg calling the job's SRT port with the TS at `path`, stream-copied in real time: it connects before it
 * sends (srt-live-transmit drops what it reads before its connection is up).
 */
const sendSrt = async (port: number, bytes: Uint8Array, name: string): Promise<void> => {
	const path = join(dir, name);
	writeFileSync(path, bytes);
	const ffmpeg = pushWithFfmpeg(path, 'mpegts', `srt://127.0.0.1:${port}?linger=2`);
	try {
		assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	} finally {
		await ffmpeg.stop();
	}
};

type Counts = { video: number; audio: number; lastAudioPts: number };
const countFrames = async (files: readonly string[]): Promise<Counts> => {
	const counts = { video: 0, audio: 0, lastAudioPts: 0 };
	for (const file of files) {
		for (const s of await probeStreams(file)) {
			if (s.codecType === 'video') counts.video += s.packets;
			if (s.codecType !== 'audio') continue;
			counts.audio += s.packets;
			counts.lastAudioPts = Math.max(counts.lastAudioPts, ...s.pts);
		}
	}
	return counts;
};
/**
 * Packets a file cannot start with (those before its first keyframe), dropped by design and counted in a
 * `dropped_data` warning: the only frames a healthy recording may lack.
 */
const beforeKeyframe = (warnings: Stat['warnings'] | undefined): number =>
	(warnings?.recent ?? [])
		.filter((w) => w.message.endsWith('a packet before the keyframe the file starts at: dropped'))
		.reduce((sum, w) => sum + w.count, 0);
const filesOf = async (id: string) => (await getById(id)).recordedFiles.map((f) => f.path);

test('bad frames over HTTP, UDP, SRT and RTMP: the server stays up, healthy recordings complete, bad ones carry on', async () => {
	const cleanTs = await encode('clean.ts', LIVE_SECONDS, ['-c:a', 'aac', '-b:a', '64k']);
	const cleanFlv = await encode('clean.flv', LIVE_SECONDS, ['-c:a', 'aac', '-b:a', '64k']);
	const liveAc3 = new Uint8Array(readFileSync(await encode('live-ac3.ts', LIVE_SECONDS, AC3)));
	const shortAc3 = new Uint8Array(readFileSync(await encode('short-ac3.ts', 0.12, AC3)));
	const tail = withoutSyncWord(shortAc3, (n) => n - 1).bytes;
	assert.ok(tail.length < 12_000, `the short input is ${tail.length} bytes`);
	const middle = withoutSyncWord(liveAc3, (n) => n >> 1);
	const rtmpBad = withCorruptAacHeader(new Uint8Array(readFileSync(cleanFlv)));
	const rtmpBadPath = join(dir, 'bad-aac-header.flv');
	writeFileSync(rtmpBadPath, rtmpBad.bytes);
	const [sentTs, sentFlv, sentLive, sentShort] = await Promise.all([
		countFrames([cleanTs]),
		countFrames([cleanFlv]),
		countFrames([join(dir, 'live-ac3.ts')]),
		countFrames([join(dir, 'short-ac3.ts')]),
	]);

	const udpPort = await freePort('udp');
	const healthyRtmp = await create('healthy rtmp', {
		input_type: 'INPUT_TYPE_RTMP_SOFTWARE',
		input_module_id: 'rtmp',
		input_stream_id: 'live/healthy',
	});
	const healthyUdp = await create('healthy udp', listen('UDP', udpPort));
	const ports = {
		HTTP: [await freePort(), await freePort()],
		UDP: [await freePort('udp'), await freePort('udp')],
		SRT: [await freePort('udp'), await freePort('udp')],
	};
	type Bad = { id: string; kind: 'tail' | 'middle'; protocol: string; sent: Counts; badPts: number };
	const bad: Bad[] = [];
	for (const protocol of ['HTTP', 'UDP', 'SRT'] as const) {
		const tailJob = await create(`${protocol} tail`, listen(protocol, ports[protocol][0]!));
		bad.push({ id: tailJob, kind: 'tail', protocol, sent: sentShort, badPts: 0 });
		const middleJob = await create(`${protocol} middle`, listen(protocol, ports[protocol][1]!));
		bad.push({ id: middleJob, kind: 'middle', protocol, sent: sentLive, badPts: middle.pts });
	}
	const rtmpJob = await create('RTMP middle', {
		input_type: 'INPUT_TYPE_RTMP_SOFTWARE',
		input_module_id: 'rtmp',
		input_stream_id: 'live/bad',
	});
	// The clean FLV's frames, the one that became the unreadable header apart.
	bad.push({ id: rtmpJob, kind: 'middle', protocol: 'RTMP', sent: sentFlv, badPts: rtmpBad.pts });

	const publishers = [
		pushWithFfmpeg(cleanFlv, 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/healthy`),
		pushWithFfmpeg(cleanTs, 'mpegts', `udp://127.0.0.1:${udpPort}?pkt_size=1316`),
		pushWithFfmpeg(rtmpBadPath, 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/bad`),
	];
	try {
		await Promise.all([
			postHttp(ports.HTTP[0]!, tail, 0.2),
			postHttp(ports.HTTP[1]!, middle.bytes, LIVE_SECONDS),
			sendUdp(ports.UDP[0]!, tail, 0.2),
			sendUdp(ports.UDP[1]!, middle.bytes, LIVE_SECONDS),
			sendSrt(ports.SRT[0]!, tail, 'tail.ts'),
			sendSrt(ports.SRT[1]!, middle.bytes, 'middle.ts'),
		]);
		for (const ffmpeg of publishers) assert.is(await ffmpeg.exited, 0, ffmpeg.stderr);
	} finally {
		for (const ffmpeg of publishers) await ffmpeg.stop();
	}

	assert.is(server.peer.child.exitCode, null, `the server exited: ${server.peer.stderr}`);
	assert.is(server.peer.child.signalCode, null);
	const all = [healthyRtmp, healthyUdp, ...bad.map((b) => b.id)];
	await waitFor(
		'every stream ended and no job in error',
		async () => (await stats()).every((s) => !all.includes(s.id) || s.state === 'ready'),
		15_000,
	);
	const warned = new Map((await stats()).map((s) => [s.id, s.warnings]));

	for (const id of [healthyRtmp, healthyUdp]) await server.api('stop', { id });
	for (const [id, sent, what] of [
		[healthyRtmp, sentFlv, 'RTMP'],
		[healthyUdp, sentTs, 'UDP'],
	] as const) {
		const counts = await countFrames(await filesOf(id));
		const named = beforeKeyframe(warned.get(id));
		assert.equal([counts.video, counts.audio + named], [sent.video, sent.audio], `${what} recording complete`);
	}

	for (const { id, kind, protocol, sent, badPts } of bad) {
		const what = `${protocol} ${kind}`;
		const warnings = warned.get(id);
		assert.ok(
			(warnings?.by_code['corrupt_data'] ?? 0) > 0,
			`${what}: getStat names the bad frame: ${JSON.stringify(warnings)}`,
		);
		await server.api('stop', { id });
		const counts = await countFrames(await filesOf(id));
		assert.is(counts.video, sent.video, `${what}: every picture kept`);
		// Every audio frame but the damaged one is in the file, or named as dropped before the first keyframe.
		const named = beforeKeyframe(warnings);
		assert.is(counts.audio + named, sent.audio - 1, `${what}: ${counts.audio} (+${named} named) of ${sent.audio}`);
		if (kind === 'tail') continue;
		assert.ok(counts.lastAudioPts > badPts + 1, `${what}: audio goes on past the bad frame`);
	}
	assert.is(server.peer.child.exitCode, null, `the server exited: ${server.peer.stderr}`);
}, 90_000);

test.run();
