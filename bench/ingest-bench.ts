/**
 * Ingest bench: N publishers replay a ~6 Mb/s H.264+AAC stream in real time into
 * `tapedeck serve` (the esbuild bundle, as users run it), each recorded to MP4, and the same load into
 * peers (node-media-server, an ffmpeg RTMP listener, srt-live-transmit relays). For each receiver it
 * measures, over a window after a warm-up: CPU (user + system, all threads, from /proc) as % of one
 * core and per Mb/s of input, resident memory (before the streams, peak, per stream), losses (bus
 * subscription drops from getStat, kernel UDP receive drops, SRT retransmissions, frames missing in
 * the recorded files) and the publishers' own CPU, reported apart.
 *
 * Usage: node --import tsx bench/ingest-bench.ts <udp|rtmp|srt|rtsp> [--streams N] [--seconds S]
 *          [--warmup S] [--receivers tapedeck,nms,ffmpeg,slt] [--own-ports] [--cpu-prof] [--keep]
 * Needs dist/tapedeck.cjs (`npm run build`, or `node node_modules/esbuild/bin/esbuild …` as in package.json),
 * ffmpeg, srt-live-transmit (srt-tools). Ports 25000–25999 on 127.0.0.1. See bench/README.md.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fixture } from '../fixtures/fixtures.ts';
import { issueAccessJwt } from '../src/api/auth.ts';
import { ffprobeErrors, probeStreams } from '../test/helpers/media-check.ts';
import { Peer } from '../test/helpers/process.ts';
import { startNodeMediaServer } from '../test/ingest/rtmp-kit.ts';
import { withGlobalHeaders } from '../test/ingest/rtsp-harness.ts';
import { type ProfileWindow, summarizeProfile } from './cpu-profile-summary.ts';
import { cpuSeconds, memoryMb, sumOver, udpDrops } from './proc-stats.ts';
import { datagramSchedule } from './ts-pacer.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const PORT = { api: 25_000, rtmp: 25_001, srt: 25_002, rtsp: 25_003, perStream: 25_100, senderIn: 25_300 } as const;
const ACCESS_TOKEN = 'ingest-bench';
const SCENARIOS = ['udp', 'rtmp', 'srt', 'rtsp'] as const;
type Scenario = (typeof SCENARIOS)[number];
const RECEIVERS: Record<Scenario, readonly string[]> = {
	udp: ['tapedeck'],
	rtmp: ['tapedeck', 'nms', 'ffmpeg'],
	srt: ['tapedeck', 'slt'],
	rtsp: ['tapedeck'],
};
const DEFAULT_STREAMS: Record<Scenario, number> = { udp: 20, rtmp: 10, srt: 10, rtsp: 10 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const streamName = (i: number) => `s${i}`;
const pidOf = (peer: Peer): number => peer.child.pid ?? 0;

// ─── receivers ──────────────────────────────────────────────────────────────────────────────────

/** Bus drops and states as the recorder's API reports them (undefined where its dialect shows none). */
type ApiStats = {
	busDrops: number | undefined;
	inputKbps: number | undefined;
	states: string;
	/** Our SRT receivers' own counters (Callaba jobs only): packets given up too late or on DROPREQ, arrived after their slot. */
	srtReceiver?: { dropped: number; belated: number };
};

type Receiver = {
	readonly name: string;
	/** Processes whose CPU and memory count as the receiver's. */
	pids(): number[];
	/** The receiver's UDP ports, watched for kernel receive drops. */
	readonly udpPorts: ReadonlySet<number>;
	/** Where publisher i sends. */
	target(i: number): string;
	/** Processes up, N recordings or listeners ready. */
	start(streams: number): Promise<void>;
	apiStats(): Promise<ApiStats | undefined>;
	/** After the publishers stopped: finalizes recordings; the files written. */
	finish(): Promise<string[]>;
	stop(): Promise<void>;
};

/** The server under test; `TAPEDECK_BUNDLE=/path/to/tapedeck.cjs` measures another build (A/B runs). */
const BUNDLE = process.env.TAPEDECK_BUNDLE ?? join(ROOT, 'dist/tapedeck.cjs');

/** `tapedeck serve` from the bundle, recordings created through its APIs. */
class TapedeckReceiver implements Receiver {
	readonly name = 'tapedeck';
	readonly udpPorts = new Set<number>();
	readonly #scenario: Scenario;
	readonly #ownPorts: boolean;
	readonly #data = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
	readonly #profileDir: string | undefined;
	#server: Peer | undefined;
	#streams = 0;
	#jwt = '';
	/** performance.now() when the server was spawned: the origin of its CPU profile, give or take its boot. */
	spawnedAt = 0;

	constructor(scenario: Scenario, options: { ownPorts: boolean; cpuProfile: boolean }) {
		this.#scenario = scenario;
		// Per-recording listeners exist for RTMP and SRT (Callaba INPUT_TYPE_*_LISTEN); RTSP's is not wired.
		this.#ownPorts = options.ownPorts && (scenario === 'rtmp' || scenario === 'srt');
		this.#profileDir = options.cpuProfile ? join(this.#data, 'profile') : undefined;
	}

	get dataDir(): string {
		return this.#data;
	}

	/** Callaba's API for UDP and the per-recording listeners; OME's for streams of the built-in listeners. */
	get #callaba(): boolean {
		return this.#scenario === 'udp' || this.#ownPorts;
	}

	pids(): number[] {
		return this.#server ? [pidOf(this.#server)] : [];
	}

	target(i: number): string {
		const own = PORT.perStream + i;
		const name = streamName(i);
		switch (this.#scenario) {
			case 'udp':
				return `udp://${HOST}:${own}`;
			case 'rtmp':
				return `rtmp://${HOST}:${this.#ownPorts ? own : PORT.rtmp}/live/${name}`;
			case 'srt':
				return `srt://${HOST}:${this.#ownPorts ? own : PORT.srt}?streamid=live/${name}`;
			case 'rtsp':
				return `rtsp://${HOST}:${PORT.rtsp}/live/${name}`;
		}
	}

	async start(streams: number): Promise<void> {
		this.#streams = streams;
		this.#jwt = await issueAccessJwt(ACCESS_TOKEN, 1);
		const serve = [
			'--host',
			HOST,
			'--port',
			String(PORT.api),
			'--data',
			this.#data,
			'--rtmp-port',
			String(PORT.rtmp),
			'--srt-port',
			String(PORT.srt),
			'--rtsp-port',
			String(PORT.rtsp),
		];
		const profile = this.#profileDir ? ['--cpu-prof', '--cpu-prof-dir', this.#profileDir] : [];
		this.#server = await this.#launch([...profile, BUNDLE, 'serve', ...serve]);
		if (this.#scenario === 'udp' || (this.#scenario === 'srt' && this.#ownPorts)) {
			for (let i = 0; i < streams; i++) this.udpPorts.add(PORT.perStream + i);
		}
		if (this.#scenario === 'srt' && !this.#ownPorts) this.udpPorts.add(PORT.srt);
		for (let i = 0; i < streams; i++) await this.#create(i);
	}

	async #launch(args: string[]): Promise<Peer> {
		process.env['TAPEDECK_ACCESS_TOKEN'] = ACCESS_TOKEN;
		this.spawnedAt = performance.now();
		const server = new Peer(process.execPath, args);
		const deadline = Date.now() + 20_000;
		for (;;) {
			if (server.child.exitCode !== null) throw new Error(`tapedeck serve exited: ${server.stderr}`);
			const up = await fetch(`http://${HOST}:${PORT.api}/api/openapi.json`).then(
				(r) => r.ok,
				() => false,
			);
			if (up) return server;
			if (Date.now() > deadline) {
				await server.stop();
				throw new Error(`tapedeck serve did not start: ${server.stderr}`);
			}
			await sleep(100);
		}
	}

	async #call<T>(path: string, body: unknown): Promise<T> {
		const headers: Record<string, string> = { 'content-type': 'application/json' };
		if (this.#callaba) headers['x-access-token'] = this.#jwt;
		else headers['authorization'] = `Basic ${Buffer.from(ACCESS_TOKEN).toString('base64')}`;
		const response = await fetch(`http://${HOST}:${PORT.api}${path}`, {
			method: 'POST',
			headers,
			body: JSON.stringify(body),
		});
		const json = (await response.json()) as T;
		if (!response.ok) throw new Error(`${path} → ${response.status} ${JSON.stringify(json)}`);
		return json;
	}

	/** Recording i of stream `s<i>` to `<data>/recordings/bench/s<i>_<sequence>.mp4`. */
	async #create(i: number): Promise<void> {
		const name = streamName(i);
		const filePath = `bench/\${Stream}_\${Sequence}.mp4`;
		if (!this.#callaba) {
			await this.#call('/v1/vhosts/default/apps/live:startRecord', { id: name, stream: { name }, filePath });
			return;
		}
		const inputType = { udp: 'UDP', rtmp: 'RTMP', srt: 'SRT', rtsp: 'RTSP' }[this.#scenario];
		await this.#call('/api/recording/create', {
			recording_name: name,
			recording_type: 'RECORDING_STREAM_TO_FILE',
			input: {
				input_type: `INPUT_TYPE_${inputType}_LISTEN`,
				input_stream_listen_port: { port: PORT.perStream + i, transport: this.#scenario === 'rtmp' ? 'TCP' : 'UDP' },
			},
			output_format: 'mp4',
			file_path: filePath,
			active: true,
		});
	}

	async apiStats(): Promise<ApiStats> {
		if (this.#callaba) {
			const stats = await this.#call<
				Array<{
					state: string;
					bitrate: number;
					dropped_packets: number;
					input_stats: { packets_dropped?: number; packets_belated?: number } | null;
				}>
			>('/api/recording/getStat', {});
			const srt = stats.filter((s) => s.input_stats?.packets_dropped !== undefined);
			return {
				busDrops: stats.reduce((sum, s) => sum + s.dropped_packets, 0),
				inputKbps: stats.reduce((sum, s) => sum + s.bitrate, 0),
				states: countStates(stats.map((s) => s.state)),
				...(srt.length > 0
					? {
							srtReceiver: {
								dropped: srt.reduce((sum, s) => sum + (s.input_stats?.packets_dropped ?? 0), 0),
								belated: srt.reduce((sum, s) => sum + (s.input_stats?.packets_belated ?? 0), 0),
							},
						}
					: {}),
			};
		}
		const records = await this.#call<{ response: Array<{ state: string }> }>(
			'/v1/vhosts/default/apps/live:records',
			{},
		);
		return { busDrops: undefined, inputKbps: undefined, states: countStates(records.response.map((r) => r.state)) };
	}

	async finish(): Promise<string[]> {
		const stops = [];
		for (let i = 0; i < this.#streams; i++) {
			const name = streamName(i);
			if (!this.#callaba) stops.push(this.#call('/v1/vhosts/default/apps/live:stopRecord', { id: name }));
		}
		if (this.#callaba) {
			const jobs = await this.#call<{ id: string }[]>('/api/recording/getAll', {});
			for (const job of jobs) stops.push(this.#call('/api/recording/stop', { id: job.id }));
		}
		await Promise.all(stops);
		return listFiles(join(this.#data, 'recordings', 'bench'), '.mp4');
	}

	async stop(): Promise<void> {
		await this.#server?.stop(30_000);
	}

	/** The server's CPU profiles, once it has exited (with --cpu-prof): the main thread's first, then each worker's. */
	profiles(): string[] {
		if (!this.#profileDir || !existsSync(this.#profileDir)) return [];
		return readdirSync(this.#profileDir)
			.filter((f) => f.endsWith('.cpuprofile'))
			.sort()
			.map((f) => join(this.#profileDir as string, f));
	}

	cleanUp(): void {
		rmSync(this.#data, { recursive: true, force: true });
	}
}

/** node-media-server 4 receiving the RTMP streams, recording nothing. */
class NodeMediaServerReceiver implements Receiver {
	readonly name = 'node-media-server';
	readonly udpPorts = new Set<number>();
	readonly #dir = mkdtempSync(join(tmpdir(), 'ingest-bench-nms-'));
	#server: Peer | undefined;

	pids = () => (this.#server ? [pidOf(this.#server)] : []);
	target = (i: number) => `rtmp://${HOST}:${PORT.rtmp}/live/${streamName(i)}`;
	async start(): Promise<void> {
		this.#server = startNodeMediaServer(this.#dir, PORT.rtmp, 10 * 60_000);
		await sleep(1500);
		if (this.#server.child.exitCode !== null) throw new Error(`node-media-server exited: ${this.#server.stderr}`);
	}
	apiStats = async () => undefined;
	finish = async () => [];
	async stop(): Promise<void> {
		await this.#server?.stop();
		rmSync(this.#dir, { recursive: true, force: true });
	}
}

/** One `ffmpeg -listen 1 -i rtmp://… -c copy out.mp4` per stream, each on its own port. */
class FfmpegListenReceiver implements Receiver {
	readonly name = 'ffmpeg -listen (MP4)';
	readonly udpPorts = new Set<number>();
	readonly #dir = mkdtempSync(join(tmpdir(), 'ingest-bench-ffmpeg-'));
	readonly #listeners: Peer[] = [];

	pids = () => this.#listeners.map(pidOf);
	target = (i: number) => `rtmp://${HOST}:${PORT.perStream + i}/live/${streamName(i)}`;
	async start(streams: number): Promise<void> {
		for (let i = 0; i < streams; i++) {
			const args = ['-nostdin', '-v', 'error', '-listen', '1', '-i', this.target(i), '-c', 'copy'];
			this.#listeners.push(new Peer('ffmpeg', [...args, '-y', join(this.#dir, `${streamName(i)}.mp4`)]));
		}
		await sleep(1500);
	}
	apiStats = async () => undefined;
	/** Each listener ends when its publisher disconnects and writes its moov then. */
	async finish(): Promise<string[]> {
		await Promise.race([Promise.all(this.#listeners.map((l) => l.exited)), sleep(15_000)]);
		return listFiles(this.#dir, '.mp4');
	}
	async stop(): Promise<void> {
		await Promise.all(this.#listeners.map((l) => l.stop()));
		rmSync(this.#dir, { recursive: true, force: true });
	}
}

/** One `srt-live-transmit srt://:port?mode=listener file://con` per stream, relaying to /dev/null. */
class SrtLiveTransmitReceiver implements Receiver {
	readonly name = 'srt-live-transmit relay';
	readonly udpPorts = new Set<number>();
	readonly #relays: Peer[] = [];

	pids = () => this.#relays.map(pidOf);
	target = (i: number) => `srt://${HOST}:${PORT.perStream + i}?streamid=live/${streamName(i)}`;
	async start(streams: number): Promise<void> {
		for (let i = 0; i < streams; i++) {
			const port = PORT.perStream + i;
			this.udpPorts.add(port);
			// exec: the shell becomes srt-live-transmit, so the PID measured and stopped is the relay's own.
			const command = `exec srt-live-transmit -q "srt://${HOST}:${port}?mode=listener" file://con > /dev/null`;
			this.#relays.push(new Peer('bash', ['-c', command]));
		}
		await sleep(1000);
	}
	apiStats = async () => undefined;
	finish = async () => [];
	async stop(): Promise<void> {
		await Promise.all(this.#relays.map((r) => r.stop()));
	}
}

const countStates = (states: string[]): string => {
	const counts = new Map<string, number>();
	for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
	return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
};

const listFiles = (dir: string, extension: string): string[] =>
	existsSync(dir)
		? readdirSync(dir)
				.filter((f) => f.endsWith(extension))
				.sort()
				.map((f) => join(dir, f))
		: [];

// ─── publishers ─────────────────────────────────────────────────────────────────────────────────

type Publishers = {
	pids(): number[];
	/** SRT senders' packets retransmitted and lost (libsrt's counters), where the senders report them. */
	srtLosses(): { retransmitted: number; lost: number } | undefined;
	readonly udpPorts: ReadonlySet<number>;
	stop(): Promise<void>;
};

const ffmpegPublisher = (source: string, seconds: number, format: string[], url: string): Peer =>
	new Peer('ffmpeg', [
		'-nostdin',
		'-v',
		'error',
		'-re',
		'-t',
		String(seconds),
		'-i',
		source,
		'-c',
		'copy',
		...format,
		url,
	]);

const pacer = (source: string, seconds: number, ports: number[]): Peer =>
	new Peer(process.execPath, ['--import', 'tsx', 'bench/ts-pacer.ts', source, String(seconds), ...ports.map(String)]);

/**
 * N publishers of `source` for `seconds` of media: our pacer for UDP (and behind srt-live-transmit
 * callers for SRT), ffmpeg `-re -c copy` for RTMP and RTSP, started 1/N s apart.
 */
const startPublishers = async (
	scenario: Scenario,
	source: string,
	seconds: number,
	targets: string[],
	workDir: string,
): Promise<Publishers> => {
	const peers: Peer[] = [];
	const udpPorts = new Set<number>();
	const statsFiles: string[] = [];
	const cleanUps: Array<() => void> = [];
	if (scenario === 'udp') {
		peers.push(
			pacer(
				source,
				seconds,
				targets.map((t) => Number(new URL(t).port)),
			),
		);
	} else if (scenario === 'srt') {
		const inputs = targets.map((_, i) => PORT.senderIn + i);
		for (const [i, target] of targets.entries()) {
			udpPorts.add(inputs[i]!);
			const stats = join(workDir, `srt-sender-${i}.json`);
			statsFiles.push(stats);
			const args = ['-q', '-s:1000', '-pf:json', '-f', `-statsout:${stats}`, `udp://${HOST}:${inputs[i]}`, target];
			peers.push(new Peer('srt-live-transmit', args));
		}
		await sleep(1000); // callers connected before the first datagram
		peers.push(pacer(source, seconds, inputs));
	} else {
		// RTSP: ffmpeg writes the SDP before the first packet, so AAC needs its config up front (MP4 copy).
		const input = scenario === 'rtmp' ? source : await withGlobalHeaders(source);
		if (input !== source) cleanUps.push(() => rmSync(input, { force: true }));
		const format = scenario === 'rtmp' ? ['-f', 'flv'] : ['-f', 'rtsp', '-rtsp_transport', 'tcp'];
		for (const target of targets) {
			peers.push(ffmpegPublisher(input, seconds, format, target));
			await sleep(1000 / targets.length);
		}
	}
	return {
		pids: () => peers.map(pidOf),
		udpPorts,
		srtLosses: () => (statsFiles.length ? srtSenderLosses(statsFiles) : undefined),
		stop: async () => {
			await Promise.all(peers.map((p) => p.stop()));
			for (const cleanUp of cleanUps.splice(0)) cleanUp();
		},
	};
};

/** Sums libsrt's sender counters from the last JSON line of each `-statsout` file. */
const srtSenderLosses = (files: string[]): { retransmitted: number; lost: number } => {
	let retransmitted = 0;
	let lost = 0;
	for (const file of files) {
		if (!existsSync(file)) continue;
		const last = readFileSync(file, 'utf8').trim().split('\n').at(-1);
		try {
			const stats = JSON.parse(last ?? '{}') as { send?: { packetsRetransmitted?: number; packetsLost?: number } };
			retransmitted += stats.send?.packetsRetransmitted ?? 0;
			lost += stats.send?.packetsLost ?? 0;
		} catch {
			// A line cut by the stop: the previous report is lost, not the run.
		}
	}
	return { retransmitted, lost };
};

// ─── files ──────────────────────────────────────────────────────────────────────────────────────

type FileCheck = { files: number; withErrors: number; videoFrames: number; missingFrames: number; seconds: number };

/**
 * What the recorded files hold: video frames, and frames missing inside each file (a DTS step of more
 * than 1.5 frame intervals counts its skipped frames), plus files ffprobe complains about.
 */
const checkFiles = async (files: string[]): Promise<FileCheck> => {
	const check: FileCheck = { files: files.length, withErrors: 0, videoFrames: 0, missingFrames: 0, seconds: 0 };
	for (const file of files) {
		if ((await ffprobeErrors(file)) !== '') check.withErrors++;
		const video = (await probeStreams(file).catch(() => [])).find((s) => s.codecType === 'video');
		if (!video || video.packets < 2) continue;
		const dts = [...video.dts].sort((a, b) => a - b);
		const steps = dts.slice(1).map((t, i) => t - dts[i]!);
		const frame = [...steps].sort((a, b) => a - b)[steps.length >> 1]!;
		for (const step of steps) if (step > 1.5 * frame) check.missingFrames += Math.round(step / frame) - 1;
		check.videoFrames += video.packets;
		check.seconds += video.duration;
	}
	return check;
};

// ─── one run ────────────────────────────────────────────────────────────────────────────────────

type RunResult = {
	receiver: string;
	streams: number;
	inputMbps: number;
	windowS: number;
	cpuPercent: number;
	percentPerMbps: number;
	publishersCpuPercent: number;
	machineBusyPercent: number;
	rssBeforeMb: number;
	rssPeakMb: number;
	rssPerStreamMb: number;
	api: ApiStats | undefined;
	/** Kernel receive drops on the receiver's UDP sockets (undefined: it has none). */
	kernelUdpDrops: number | undefined;
	/** The same on the senders' UDP inputs (srt-live-transmit reading the pacer). */
	senderUdpDrops: number | undefined;
	srt: { retransmitted: number; lost: number } | undefined;
	files: FileCheck | undefined;
	filesPerStreamMax: number;
	/** performance.now() at the window's ends. */
	window: { from: number; to: number };
};

/** Busy and total jiffies of the whole machine (/proc/stat first line), for how loaded it was. */
const machineJiffies = (): { busy: number; total: number } => {
	const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
	const total = fields.reduce((a, b) => a + b, 0);
	const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
	return { busy: total - idle, total };
};

const measure = async (
	scenario: Scenario,
	receiver: Receiver,
	options: { streams: number; seconds: number; warmup: number; source: string; streamMbps: number },
): Promise<RunResult> => {
	const { streams, seconds, warmup, source } = options;
	const workDir = mkdtempSync(join(tmpdir(), 'ingest-bench-pub-'));
	await receiver.start(streams);
	let publishers: Publishers | undefined;
	try {
		const rssBeforeMb = sumOver(receiver.pids(), (pid) => memoryMb(pid, 'VmRSS'));
		const targets = Array.from({ length: streams }, (_, i) => receiver.target(i));
		// Media long enough to cover the warm-up, the window and the 1 s stagger of the starts.
		publishers = await startPublishers(scenario, source, warmup + seconds + 2, targets, workDir);
		await sleep(warmup * 1000);

		const drops0 = udpDrops(receiver.udpPorts);
		const senderDrops0 = udpDrops(publishers.udpPorts);
		const cpu0 = sumOver(receiver.pids(), cpuSeconds);
		const pubCpu0 = sumOver(publishers.pids(), cpuSeconds);
		const machine0 = machineJiffies();
		const t0 = performance.now();
		let rssPeakMb = 0;
		while (performance.now() - t0 < seconds * 1000) {
			rssPeakMb = Math.max(
				rssPeakMb,
				sumOver(receiver.pids(), (pid) => memoryMb(pid, 'VmRSS')),
			);
			await sleep(500);
		}
		const t1 = performance.now();
		const windowS = (t1 - t0) / 1000;
		const cpu = sumOver(receiver.pids(), cpuSeconds) - cpu0;
		const pubCpu = sumOver(publishers.pids(), cpuSeconds) - pubCpu0;
		const machine1 = machineJiffies();
		const api = await receiver.apiStats();
		const kernelUdpDrops = receiver.udpPorts.size ? udpDrops(receiver.udpPorts) - drops0 : undefined;
		const senderUdpDrops = publishers.udpPorts.size ? udpDrops(publishers.udpPorts) - senderDrops0 : undefined;

		await publishers.stop();
		const srt = publishers.srtLosses();
		await sleep(1500);
		const files = await receiver.finish();
		const perStream = new Map<string, number>();
		for (const f of files) {
			const stream = /(s\d+)[._]/.exec(f.slice(f.lastIndexOf('/') + 1))?.[1] ?? f;
			perStream.set(stream, (perStream.get(stream) ?? 0) + 1);
		}
		const inputMbps = streams * options.streamMbps;
		const cpuPercent = (100 * cpu) / windowS;
		return {
			receiver: receiver.name,
			streams,
			inputMbps,
			windowS,
			cpuPercent,
			percentPerMbps: cpuPercent / inputMbps,
			publishersCpuPercent: (100 * pubCpu) / windowS,
			machineBusyPercent: (100 * (machine1.busy - machine0.busy)) / (machine1.total - machine0.total),
			rssBeforeMb,
			rssPeakMb,
			rssPerStreamMb: (rssPeakMb - rssBeforeMb) / streams,
			api,
			kernelUdpDrops,
			senderUdpDrops,
			srt,
			files: files.length ? await checkFiles(files) : undefined,
			filesPerStreamMax: Math.max(0, ...perStream.values()),
			window: { from: t0, to: t1 },
		};
	} finally {
		await publishers?.stop();
		await receiver.stop();
		rmSync(workDir, { recursive: true, force: true });
	}
};

// ─── report ─────────────────────────────────────────────────────────────────────────────────────

const fixed = (n: number, digits: number) => n.toFixed(digits);

const losses = (r: RunResult): string => {
	const parts: string[] = [];
	if (r.api?.busDrops !== undefined) parts.push(`bus ${r.api.busDrops}`);
	if (r.api?.srtReceiver)
		parts.push(`our SRT dropped ${r.api.srtReceiver.dropped} / belated ${r.api.srtReceiver.belated}`);
	if (r.kernelUdpDrops !== undefined) parts.push(`kernel UDP ${r.kernelUdpDrops}`);
	if (r.senderUdpDrops !== undefined) parts.push(`sender UDP ${r.senderUdpDrops}`);
	if (r.srt) parts.push(`SRT retx ${r.srt.retransmitted} / lost ${r.srt.lost}`);
	if (r.files) parts.push(`missing frames ${r.files.missingFrames}`);
	return parts.join(', ') || 'n/a';
};

const row = (r: RunResult): string =>
	[
		r.receiver,
		r.streams,
		fixed(r.inputMbps, 0),
		fixed(r.cpuPercent, 1),
		fixed(r.percentPerMbps, 3),
		fixed(r.rssBeforeMb, 0),
		fixed(r.rssPeakMb, 0),
		fixed(r.rssPerStreamMb, 1),
		losses(r),
		r.files
			? `${r.files.files} files (max ${r.filesPerStreamMax}/stream), ${r.files.withErrors} with ffprobe errors, ${fixed(r.files.seconds / r.streams, 1)} s of video each`
			: '—',
		fixed(r.publishersCpuPercent, 0),
		fixed(r.machineBusyPercent, 0),
	].join(' | ');

const HEADER =
	'| receiver | streams | input Mb/s | CPU % of a core | % per Mb/s | RSS before MB | RSS peak MB | MB per stream | losses | files | publishers CPU % | machine busy % |\n|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|';

// ─── main ───────────────────────────────────────────────────────────────────────────────────────

const main = async (): Promise<void> => {
	const { values, positionals } = parseArgs({
		allowPositionals: true,
		options: {
			streams: { type: 'string' },
			seconds: { type: 'string', default: '20' },
			warmup: { type: 'string', default: '4' },
			receivers: { type: 'string' },
			'own-ports': { type: 'boolean', default: false },
			'cpu-prof': { type: 'boolean', default: false },
			keep: { type: 'boolean', default: false },
		},
	});
	const scenario = positionals[0] as Scenario;
	if (!SCENARIOS.includes(scenario)) {
		console.error(`usage: ingest-bench.ts <${SCENARIOS.join('|')}> [--streams N] [--seconds S] …`);
		process.exit(2);
	}
	const streams = Number(values.streams ?? DEFAULT_STREAMS[scenario]);
	const seconds = Number(values.seconds);
	const warmup = Number(values.warmup);
	const source = fixture('bench-6mbps');
	const bytes = readFileSync(source);
	const mediaSeconds = datagramSchedule(bytes).at(-1)! / 1000;
	if (warmup + seconds + 2 > mediaSeconds) {
		throw new Error(`--warmup + --seconds + 2 must fit in the ${mediaSeconds.toFixed(0)} s source`);
	}
	if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: npm run build`);
	console.error(`server: ${BUNDLE}, built ${statSync(BUNDLE).mtime.toISOString()} (rebuild after source changes)`);
	const streamMbps = (bytes.length * 8) / mediaSeconds / 1e6;
	const receivers = (values.receivers?.split(',') ?? RECEIVERS[scenario]).filter((r) =>
		RECEIVERS[scenario].includes(r),
	);
	console.error(
		`${scenario}: ${streams} streams of ${streamMbps.toFixed(2)} Mb/s, ${seconds} s window after ${warmup} s; receivers ${receivers.join(', ')}; load average ${loadavg()
			.map((l) => l.toFixed(1))
			.join(' ')} on ${cpus().length} cores`,
	);
	const results: RunResult[] = [];
	for (const name of receivers) {
		const tapedeck =
			name === 'tapedeck'
				? new TapedeckReceiver(scenario, { ownPorts: values['own-ports'], cpuProfile: values['cpu-prof'] })
				: undefined;
		const receiver: Receiver =
			tapedeck ??
			(name === 'nms'
				? new NodeMediaServerReceiver()
				: name === 'ffmpeg'
					? new FfmpegListenReceiver()
					: new SrtLiveTransmitReceiver());
		const result = await measure(scenario, receiver, { streams, seconds, warmup, source, streamMbps });
		results.push(result);
		console.error(`${row(result)}\n${JSON.stringify(result)}`);
		if (!tapedeck) continue;
		const window = { fromMs: result.window.from - tapedeck.spawnedAt, toMs: result.window.to - tapedeck.spawnedAt };
		for (const profile of tapedeck.profiles()) printProfile(profile, window);
		if (!values.keep) tapedeck.cleanUp();
		else console.error(`kept ${tapedeck.dataDir}`);
	}
	console.log(`\n${scenario} · ${new Date().toISOString().slice(0, 10)} · ${streams} streams\n\n${HEADER}`);
	for (const r of results) console.log(`| ${row(r)} |`);
};

/** The server's hot spots during the measured window. */
const printProfile = (path: string, window: ProfileWindow): void => {
	const summary = summarizeProfile(path, ROOT, 30, window);
	console.error(`\nCPU profile ${path}, window only: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle\nby module:`);
	for (const m of summary.modules.slice(0, 15)) console.error(`  ${fixed(m.percent, 1).padStart(5)} %  ${m.name}`);
	console.error('by function (self time):');
	for (const f of summary.functions) {
		console.error(`  ${fixed(f.percent, 1).padStart(5)} %  ${f.name}  (${f.module}, line ${f.line})`);
	}
};

await main();
