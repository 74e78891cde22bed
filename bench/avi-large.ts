/**
 * The long-recording AVI check, too heavy for the test run: a TS input of about 1.3 GB
 * (the 10-minute bench input looped six times by ffmpeg, timestamps continuous) remuxed by the
 * bundled tapedeck into AVI, which crosses the 1 GiB RIFF limit and so needs OpenDML (AVIX RIFFs,
 * `indx` super indexes, `ix##` chunk indexes). ffprobe then counts every packet of the whole file,
 * and ffmpeg decodes the last seconds, reached through the index.
 *
 * Usage: npm run build && node --import tsx bench/avi-large.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../fixtures/fixtures.ts';

const ROOT = join(import.meta.dirname, '..');
const WORK = join(ROOT, 'bench/work');
const TAPEDECK = join(ROOT, 'dist/tapedeck.cjs');

const sh = (command: string, args: readonly string[]): string => {
	const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 30 * 60_000 });
	if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
	return `${result.stdout}${result.stderr}`;
};

/** Packets per stream type, as ffprobe counts them reading the whole file. */
const packetCounts = (file: string): Record<string, number> => {
	const out = sh('ffprobe', [
		'-v',
		'error',
		'-count_packets',
		'-show_entries',
		'stream=codec_type,nb_read_packets',
		'-of',
		'csv=p=0',
		file,
	]);
	const counts: Record<string, number> = {};
	for (const line of out.trim().split('\n')) {
		const [type, count] = line.split(',');
		if (type && count) counts[type] = Number(count);
	}
	return counts;
};

const main = (): void => {
	if (!existsSync(TAPEDECK)) throw new Error(`${TAPEDECK} is missing: npm run build`);
	mkdirSync(WORK, { recursive: true });
	const input = join(WORK, 'looped-6x.ts');
	const output = join(WORK, 'long.avi');
	if (!existsSync(input)) {
		sh('ffmpeg', [
			'-nostdin',
			'-v',
			'error',
			'-y',
			'-stream_loop',
			'5',
			'-i',
			fixture('bench-720p-10min'),
			'-c',
			'copy',
			'-f',
			'mpegts',
			input,
		]);
	}
	rmSync(output, { force: true });
	const started = process.hrtime.bigint();
	sh(process.execPath, [TAPEDECK, 'remux', input, output]);
	const seconds = Number(process.hrtime.bigint() - started) / 1e9;
	const size = statSync(output).size;
	const riffs = sh('sh', ['-c', `grep -c -a AVIX ${output} || true`]).trim();
	const source = packetCounts(input);
	const written = packetCounts(output);
	const probeErrors = sh('ffprobe', ['-v', 'error', '-i', output]).trim();
	const tailErrors = sh('ffmpeg', ['-nostdin', '-v', 'error', '-sseof', '-5', '-i', output, '-f', 'null', '-']).trim();
	const ok =
		written['video'] === source['video'] && written['audio'] === source['audio'] && !probeErrors && !tailErrors;
	console.log(
		[
			`input ${(statSync(input).size / 2 ** 30).toFixed(2)} GiB TS → AVI ${(size / 2 ** 30).toFixed(2)} GiB in ${seconds.toFixed(1)} s`,
			`AVIX RIFF chunks: ${riffs} (lines of the file holding the FourCC)`,
			`packets source video ${source['video']} audio ${source['audio']}; AVI video ${written['video']} audio ${written['audio']}`,
			`ffprobe -v error: ${probeErrors || 'silent'}; decode of the last 5 s: ${tailErrors || 'silent'}`,
			ok ? 'PASS: every frame counted, the end plays' : 'FAIL',
		].join('\n'),
	);
	rmSync(output, { force: true });
	if (!ok) process.exitCode = 1;
};

main();
