import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TsDemuxer, type TsDemuxerOptions } from '../../ingest/demux/ts/ts-demuxer.ts';
import type { MediaWarning } from '../../src/core/media-receiver.ts';
import { PacketCollector } from './packet-collector.ts';
import { run } from './process.ts';
import { tempDir } from './temp-dir.ts';

/** A PacketCollector that also keeps the warnings. */
export class WarningCollector extends PacketCollector {
	readonly warnings: MediaWarning[] = [];

	warn(warning: MediaWarning): void {
		this.warnings.push(warning);
	}

	codes(): string[] {
		return this.warnings.map((w) => w.code);
	}
}

/** Demuxes `bytes` in chunks of `chunk` bytes (odd, so packets straddle chunks). */
export const demuxTs = (bytes: Uint8Array, options: TsDemuxerOptions = {}, chunk = 10_007) => {
	const collector = new WarningCollector();
	const demuxer = new TsDemuxer(collector, options);
	for (let at = 0; at < bytes.length; at += chunk) demuxer.push(bytes.subarray(at, at + chunk));
	demuxer.end();
	return { collector, stats: demuxer.stats, demuxer };
};

/** A temporary folder under the OS's, removed by `done()`. */
export const tempFolder = (): { path: (name: string) => string; done: () => void } => {
	const dir = tempDir('tsdemux');
	return { path: (name) => join(dir, name), done: () => rmSync(dir, { recursive: true, force: true }) };
};

/** Runs ffmpeg (quiet, overwriting) with `args` and returns the bytes of `output`. */
export const ffmpegMake = async (args: readonly string[], output: string): Promise<Uint8Array> => {
	const result = await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args, output]);
	if (result.code !== 0) throw new Error(`ffmpeg failed: ${result.stderr}`);
	return new Uint8Array(readFileSync(output));
};

/** Two seconds of 160x120 test pattern and a tone, as ffmpeg input options. */
export const lavfiInputs = (seconds = 2, audioRate = 48_000): string[] => [
	'-f',
	'lavfi',
	'-i',
	`testsrc2=size=160x120:rate=25:duration=${seconds}`,
	'-f',
	'lavfi',
	'-i',
	`sine=frequency=440:sample_rate=${audioRate}:duration=${seconds}`,
];

/** ffmpeg output options: fast H.264 video. */
export const H264_FAST: readonly string[] = ['-c:v', 'libx264', '-preset', 'ultrafast'];
