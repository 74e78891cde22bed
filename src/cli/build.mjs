#!/usr/bin/env node
/**
 * `npm run build` (and npm's `prepare`, so `npm install` ends with it): the CLI as one CommonJS file,
 * dist/tapedeck.cjs, what `npm start`, the `tapedeck` bin, the Docker image and the single executable run.
 * Every dependency is bundled in, so the installed program runs compiled JavaScript alone: no TypeScript
 * loader, no esbuild process at run time. The SRT thread's entry is bundled first and embedded in it as
 * source text (`TAPEDECK_SRT_WORKER`, read by `ingest/srt/srt-thread.ts`), so the worker starts from
 * memory: the bundle needs no file beside it, and the single executable has none to give.
 *
 * Plain JavaScript, not TypeScript, so that building needs only Node and esbuild (a dependency, not a
 * devDependency): `npm install --omit=dev` builds too.
 *
 * `--if-stale` (npm's `prestart`) builds only when the bundle is missing or older than a source file, so
 * `git pull && npm start` runs what was pulled; without the sources (an installed package) it does nothing.
 */
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const OUTFILE = 'dist/tapedeck.cjs';
/** What the bundle is made of: the source folders and the dependency set. */
const SOURCES = ['src', 'ingest', 'mux', 'package.json', 'package-lock.json'];

/** The newest modification time under `path` (a file or a folder), 0 when it does not exist. */
const newest = (path) => {
	if (!existsSync(path)) return 0;
	const stat = statSync(path);
	if (!stat.isDirectory()) return stat.mtimeMs;
	let latest = stat.mtimeMs;
	for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
	return latest;
};

const stale = () => {
	const bundle = join(ROOT, OUTFILE);
	if (!existsSync(join(ROOT, 'src'))) return false;
	if (!existsSync(bundle)) return true;
	const built = statSync(bundle).mtimeMs;
	return SOURCES.some((source) => newest(join(ROOT, source)) > built);
};

if (!process.argv.includes('--if-stale') || stale()) {
	// Loaded only to build: the check alone stays quick.
	const { build } = await import('esbuild');
	/** @type {import('esbuild').BuildOptions} */
	const common = {
		bundle: true,
		platform: 'node',
		target: 'node20',
		format: 'cjs',
		// Whitespace and syntax only: names stay (stack traces read), and Node parses a third less at every start.
		minifyWhitespace: true,
		minifySyntax: true,
		logLevel: 'warning',
		absWorkingDir: ROOT,
	};
	const worker = await build({ ...common, entryPoints: ['ingest/srt/srt-worker.ts'], write: false });
	const workerSource = worker.outputFiles[0]?.text;
	if (workerSource === undefined) throw new Error('esbuild produced no SRT worker bundle');
	await build({
		...common,
		entryPoints: ['src/cli/entry.ts'],
		outfile: OUTFILE,
		// The `tapedeck` bin of package.json: npm links it as an executable.
		banner: { js: '#!/usr/bin/env node' },
		// The unbundled branch that loads the worker through tsx is dead here; these keep esbuild from warning about it.
		define: {
			TAPEDECK_SRT_WORKER: JSON.stringify(workerSource),
			'import.meta.url': 'undefined',
			'import.meta.resolve': 'undefined',
		},
	});
	chmodSync(join(ROOT, OUTFILE), 0o755);
}
