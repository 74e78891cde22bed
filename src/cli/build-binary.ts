/**
 * `npm run build:binary`: tapedeck as one executable (Node's single executable applications). The
 * CLI bundle (`npm run build`, dist/tapedeck.cjs) becomes the SEA blob, which postject injects into a
 * copy of the running node binary: dist/tapedeck then runs `serve`, `remux`, … with nothing beside it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist');
/** The fuse string Node's SEA loader looks for (documented in Node's single-executable-applications guide). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const config = join(DIST, 'sea-config.json');
writeFileSync(
	config,
	JSON.stringify({
		main: join(DIST, 'tapedeck.cjs'),
		output: join(DIST, 'sea-prep.blob'),
		disableExperimentalSEAWarning: true,
		useSnapshot: false,
		useCodeCache: true,
	}),
);
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });
const binary = join(DIST, 'tapedeck');
copyFileSync(process.execPath, binary);
chmodSync(binary, 0o755);
execFileSync(
	join(ROOT, 'node_modules/.bin/postject'),
	[binary, 'NODE_SEA_BLOB', join(DIST, 'sea-prep.blob'), '--sentinel-fuse', SEA_FUSE],
	{ stdio: ['ignore', 'ignore', 'inherit'] },
);
console.log(`built ${binary}`);
