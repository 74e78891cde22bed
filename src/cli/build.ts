/**
 * `npm run build`: the CLI as one CommonJS file, dist/tapedeck.cjs (also the single executable's main).
 * The SRT thread's entry is bundled first and embedded in it as source text (`TAPEDECK_SRT_WORKER`,
 * read by `ingest/srt/srt-thread.ts`), so the worker starts from memory: the bundle needs no file
 * beside it, and the single executable has none to give.
 */
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

const ROOT = join(import.meta.dirname, '../..');
const common: BuildOptions = {
	bundle: true,
	platform: 'node',
	target: 'node20',
	format: 'cjs',
	logLevel: 'warning',
	absWorkingDir: ROOT,
};

const worker = await build({ ...common, entryPoints: ['ingest/srt/srt-worker.ts'], write: false });
const workerSource = worker.outputFiles[0]?.text;
if (workerSource === undefined) throw new Error('esbuild produced no SRT worker bundle');
await build({
	...common,
	entryPoints: ['src/cli/entry.ts'],
	outfile: 'dist/tapedeck.cjs',
	// The unbundled branch that loads the worker through tsx is dead here; these keep esbuild from warning about it.
	define: {
		TAPEDECK_SRT_WORKER: JSON.stringify(workerSource),
		'import.meta.url': 'undefined',
		'import.meta.resolve': 'undefined',
	},
});
