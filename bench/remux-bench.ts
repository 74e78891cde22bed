/**
 * Remux throughput of tapedeck against its peers on one ~200 MB MPEG-TS file (10 min 720p30
 * H.264 + AAC, `fixture('bench-720p-10min')`, made on first run), and the same media in FLV for FLV→MP4.
 *
 * Every run is a whole process (start-up included) under `/usr/bin/time -f '%e %U %S %M'`: wall
 * seconds, user and system CPU seconds, peak RSS. Node tools run as esbuild bundles, none through
 * tsx: tapedeck as deployed (`dist/tapedeck.cjs`, which `npm run bench` builds first), the mux.js and
 * mediabunny peer scripts bundled the same way into bench/work/. Each run starts with its output
 * deleted, so no tool pays for truncating the previous one. Tools alternate run by run so a noisy
 * neighbour hurts all of them alike; the table shows medians of N runs (BENCH_RUNS, default 5). The
 * figures go to stdout and into the "Latest figures" section of bench/README.md.
 *
 * Usage: npm run bench        (Debian: apt-get install -y time, for /usr/bin/time)
 *        TAPEDECK_BASELINE=/path/to/other/tapedeck.cjs npm run bench   adds that build's rows ("tapedeck-baseline"),
 *        measured in the same alternating runs, to compare two builds on one machine state.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { fixture } from '../fixtures/fixtures.ts';
import { MUXER_FORMATS } from '../mux/create-muxer.ts';

const ROOT = join(import.meta.dirname, '..');
const WORK = join(ROOT, 'bench/work');
const README = join(ROOT, 'bench/README.md');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TIME = '/usr/bin/time';
const TAPEDECK = join(ROOT, 'dist/tapedeck.cjs');
const BASELINE = process.env.TAPEDECK_BASELINE;
/**
 * The measured processes' environment. NODE_EXTRA_CA_CERTS (set on some sandboxes and corporate
 * machines for a TLS proxy) makes every Node process load and parse a CA bundle before running
 * anything, 0.13 s of wall here; none of these tools opens a TLS connection, so it is left out.
 */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_EXTRA_CA_CERTS'));

type Case = {
	readonly conversion: 'TS→MP4' | 'TS→TS' | 'TS→fMP4' | 'FLV→MP4' | 'TS→FLV';
	readonly tool: 'tapedeck' | 'tapedeck-baseline' | 'ffmpeg' | 'mux.js' | 'mediabunny';
	readonly output: string;
	readonly command: (input: string, output: string) => string[];
	readonly note?: string;
};

type Sample = { wall: number; cpu: number; rssMb: number };

const node = (...args: string[]) => [process.execPath, ...args];
const tapedeckBuild = (bundle: string) => (format: string) => (input: string, output: string) =>
	node(bundle, 'remux', input, output, '--format', format);
const tapedeck = tapedeckBuild(TAPEDECK);

/** A peer script bundled like tapedeck (ESM: the scripts use top-level await), so it starts as fast. */
const bundledPeer = (name: string): string => {
	const outfile = join(WORK, `${name}.mjs`);
	buildSync({
		entryPoints: [join(ROOT, `bench/peers/${name}.ts`)],
		bundle: true,
		platform: 'node',
		target: 'node20',
		format: 'esm',
		outfile,
		logLevel: 'warning',
	});
	return outfile;
};
const ffmpeg =
	(...format: string[]) =>
	(input: string, output: string) => [
		'ffmpeg',
		'-nostdin',
		'-v',
		'error',
		'-y',
		'-i',
		input,
		'-c',
		'copy',
		...format,
		output,
	];

const CASES: readonly Case[] = [
	{ conversion: 'TS→MP4', tool: 'tapedeck', output: 'tapedeck.mp4', command: tapedeck('mp4') },
	{ conversion: 'TS→MP4', tool: 'ffmpeg', output: 'ffmpeg.mp4', command: ffmpeg('-f', 'mp4') },
	{
		conversion: 'TS→MP4',
		tool: 'mux.js',
		output: 'muxjs.mp4',
		command: (input, output) => node(join(WORK, 'muxjs-remux.mjs'), input, output),
		note: 'writes fMP4 (its only output), whole file buffered until flush',
	},
	{
		conversion: 'TS→MP4',
		tool: 'mediabunny',
		output: 'mediabunny.mp4',
		command: (input, output) => node(join(WORK, 'mediabunny-remux.mjs'), input, output),
	},
	{ conversion: 'TS→TS', tool: 'tapedeck', output: 'tapedeck.ts', command: tapedeck('ts') },
	{ conversion: 'TS→TS', tool: 'ffmpeg', output: 'ffmpeg.ts', command: ffmpeg('-f', 'mpegts') },
	{ conversion: 'TS→fMP4', tool: 'tapedeck', output: 'tapedeck-frag.mp4', command: tapedeck('fmp4') },
	{
		conversion: 'TS→fMP4',
		tool: 'ffmpeg',
		output: 'ffmpeg-frag.mp4',
		command: ffmpeg('-bsf:a', 'aac_adtstoasc', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4'),
	},
	{ conversion: 'FLV→MP4', tool: 'tapedeck', output: 'tapedeck-from-flv.mp4', command: tapedeck('mp4') },
	{ conversion: 'FLV→MP4', tool: 'ffmpeg', output: 'ffmpeg-from-flv.mp4', command: ffmpeg('-f', 'mp4') },
	{ conversion: 'TS→FLV', tool: 'tapedeck', output: 'tapedeck.flv', command: tapedeck('flv') },
	{
		conversion: 'TS→FLV',
		tool: 'ffmpeg',
		output: 'ffmpeg.flv',
		command: ffmpeg('-bsf:a', 'aac_adtstoasc', '-f', 'flv'),
	},
];

/** With TAPEDECK_BASELINE, every tapedeck row again for the other build, written beside the first. */
const withBaseline = (cases: readonly Case[]): readonly Case[] =>
	BASELINE === undefined
		? cases
		: cases.flatMap((c) =>
				c.tool === 'tapedeck'
					? [
							c,
							{
								...c,
								tool: 'tapedeck-baseline' as const,
								output: `baseline-${c.output}`,
								command: tapedeckBuild(BASELINE)(FORMAT_OF[c.conversion]),
							},
						]
					: [c],
			);

const FORMAT_OF: Record<Case['conversion'], string> = {
	'TS→MP4': 'mp4',
	'TS→TS': 'ts',
	'TS→fMP4': 'fmp4',
	'FLV→MP4': 'mp4',
	'TS→FLV': 'flv',
};

/** One run under /usr/bin/time; throws with the tool's stderr when it fails. */
const measure = (c: Case, input: string): Sample => {
	const output = join(WORK, c.output);
	const times = join(WORK, `${c.output}.time`);
	rmSync(output, { force: true });
	const result = spawnSync(TIME, ['-f', '%e %U %S %M', '-o', times, ...c.command(input, output)], {
		cwd: ROOT,
		env: ENV,
		encoding: 'utf8',
		timeout: 30 * 60_000,
	});
	if (result.status !== 0) throw new Error(`${c.tool} ${c.conversion} failed: ${result.stderr}`);
	const [wall, user, sys, rssKb] = readFileSync(times, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
	return { wall: wall!, cpu: user! + sys!, rssMb: rssKb! / 1024 };
};

/** ffprobe's verdict on an output: "ok" or its first complaint. */
const verdict = (output: string): string => {
	const probe = spawnSync('ffprobe', ['-v', 'error', '-i', output], { encoding: 'utf8' });
	const complaint = probe.stderr.trim().split('\n')[0];
	return complaint ? `ffprobe: ${complaint.slice(0, 60)}` : 'ok';
};

const median = (values: number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)]!;
};

const machine = (): string => {
	const ffmpegVersion = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.split(' ')[2];
	return `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ffmpeg ${ffmpegVersion}`;
};

const main = (): void => {
	if (!existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install -y time`);
	if (!existsSync(TAPEDECK)) throw new Error(`${TAPEDECK} is missing: npm run build (npm run bench does it)`);
	mkdirSync(WORK, { recursive: true });
	bundledPeer('muxjs-remux');
	bundledPeer('mediabunny-remux');
	console.log('making or finding the bench input (first run: a few minutes of ffmpeg)…');
	const input = fixture('bench-720p-10min');
	const inputMb = statSync(input).size / 1e6;
	// The same media copied into FLV by ffmpeg, for the FLV→MP4 rows.
	const flvInput = fixture('bench-720p-10min-flv');
	const inputOf = (c: Case) => (c.conversion.startsWith('FLV') ? flvInput : input);
	const all = withBaseline(CASES);
	const cases = all.filter((c) => c.tool !== 'tapedeck' || MUXER_FORMATS.includes(FORMAT_OF[c.conversion] as never));
	const skipped = all.filter((c) => !cases.includes(c)).map((c) => `${c.tool} ${c.conversion} (no muxer yet)`);
	const samples = new Map<Case, Sample[]>(cases.map((c) => [c, []]));
	const loadBefore = loadavg()[0]!;
	for (let run = 1; run <= RUNS; run++) {
		for (const c of cases) {
			const sample = measure(c, inputOf(c));
			samples.get(c)!.push(sample);
			console.log(`run ${run}/${RUNS}  ${c.conversion.padEnd(8)} ${c.tool.padEnd(10)} ${sample.wall.toFixed(2)} s`);
		}
	}
	const medians = new Map(
		cases.map((c) => {
			const s = samples.get(c)!;
			return [
				c,
				{ wall: median(s.map((x) => x.wall)), cpu: median(s.map((x) => x.cpu)), rssMb: median(s.map((x) => x.rssMb)) },
			];
		}),
	);
	const ffmpegWall = (conversion: Case['conversion']) =>
		[...medians].find(([c]) => c.tool === 'ffmpeg' && c.conversion === conversion)?.[1].wall;
	const rows = cases.map((c) => {
		const m = medians.get(c)!;
		const reference = ffmpegWall(c.conversion);
		const mb = statSync(inputOf(c)).size / 1e6;
		return `| ${c.conversion} | ${c.tool} | ${m.wall.toFixed(2)} | ${(mb / m.wall).toFixed(0)} | ${m.cpu.toFixed(2)} | ${m.rssMb.toFixed(0)} | ${reference ? (reference / m.wall).toFixed(2) : '–'}× | ${verdict(join(WORK, c.output))}${c.note ? `; ${c.note}` : ''} |`;
	});
	const tapedeckMp4 = [...medians].find(([c]) => c.tool === 'tapedeck' && c.conversion === 'TS→MP4')?.[1];
	const versus = (tool: Case['tool']) => {
		const peer = [...medians].find(([c]) => c.tool === tool && c.conversion === 'TS→MP4')?.[1];
		return tapedeckMp4 && peer ? (peer.wall / tapedeckMp4.wall).toFixed(1) : '–';
	};
	const table = [
		'| conversion | tool | wall s | MB/s of input | CPU s (user+sys) | peak RSS MB | speed vs ffmpeg | output |',
		'|---|---|---:|---:|---:|---:|---:|---|',
		...rows,
	].join('\n');
	const summary = [
		`tapedeck TS→MP4 is ${versus('ffmpeg')}× ffmpeg, ${versus('mux.js')}× mux.js and ${versus('mediabunny')}× mediabunny (goals: ≥1× (2×), ≥5×, ≥8×);`,
		`peak RSS ${tapedeckMp4 ? tapedeckMp4.rssMb.toFixed(0) : '–'} MB (goal < 150 MB).`,
	].join(' ');
	const section = [
		'## Latest figures',
		'',
		`${new Date().toISOString().slice(0, 10)} · ${machine()} · input ${inputMb.toFixed(0)} MB · median of ${RUNS} runs · load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`,
		'',
		table,
		'',
		summary,
		...(skipped.length ? ['', `Not run: ${skipped.join(', ')}.`] : []),
		'',
	].join('\n');
	console.log(`\n${section}`);
	// Replace only this bench's section: it ends where the next top-level section (the ingest bench's) begins.
	const readme = readFileSync(README, 'utf8');
	const start = readme.indexOf('## Latest figures');
	const next = start < 0 ? -1 : readme.indexOf('\n# ', start);
	const head = start < 0 ? `${readme}\n` : readme.slice(0, start);
	const tail = next < 0 ? '' : readme.slice(next);
	writeFileSync(README, head + section + tail);
	console.log(`figures written to ${README}`);
};

main();
