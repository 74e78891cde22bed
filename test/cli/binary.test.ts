/**
 * The deployable forms: the one-file bundle (`npm run build`) and the single executable built from it
 * (`npm run build:binary`) run the same CLI with nothing beside them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { VERSION } from '../../src/cli/version.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';

const ROOT = join(import.meta.dirname, '../..');
const npm = (script: string) => run('npm', ['run', '--silent', script], 120_000);

test('npm run build:binary makes dist/tapedeck, which remuxes from any folder', async () => {
	const built = await npm('build:binary');
	assert.is(built.code, 0, built.stderr);
	const binary = join(ROOT, 'dist/tapedeck');
	const version = await run(binary, ['--version'], 20_000);
	assert.is(version.stdout.trim(), VERSION);
	const output = join(mkdtempSync(join(tmpdir(), 'tapedeck-binary-')), 'out.mp4');
	const remux = await run(binary, ['remux', fixture('h264-aac48'), output], 30_000);
	assert.is(remux.code, 0, remux.stderr);
	assert.is(await ffprobeErrors(output), '');
	assert.is(await decodeErrors(output), '');
});

test.run();
