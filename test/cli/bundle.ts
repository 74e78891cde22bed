/** dist/tapedeck.cjs, the bundle users run, built by `npm run build` once per test process for whichever test asks first. */
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { run } from '../helpers/process.ts';

export const ROOT = join(import.meta.dirname, '../..');
/** How long a build may take on two loaded cores. */
export const BUILD_MS = 120_000;

let building: Promise<string> | undefined;

/** Resolves to the bundle's path once built. */
export const builtBundle = (): Promise<string> => {
	building ??= run('npm', ['run', '--silent', 'build'], BUILD_MS).then((result) => {
		assert.is(result.code, 0, result.stderr);
		return join(ROOT, 'dist/tapedeck.cjs');
	});
	return building;
};
