/**
 * The configuration reference: the README holds exactly what `tapedeck config --reference` prints, and
 * that reference, used as a configuration file, loads as the defaults. Durations and sizes with units.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { configReference, effectiveConfig } from '../../src/config/config-reference.ts';
import { loadSettings } from '../../src/config/load.ts';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../src/config/units.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const README = join(import.meta.dirname, '../../README.md');
const START = '<!-- configuration reference: made by `tapedeck config --reference`, checked by a test -->\n```yaml\n';
const END = '\n```\n<!-- end of the configuration reference -->';

test("the README's reference is the generated one", () => {
	const readme = readFileSync(README, 'utf8');
	const from = readme.indexOf(START);
	const to = readme.indexOf(END, from);
	assert.ok(from >= 0 && to > from, 'README: the configuration reference markers are missing');
	assert.fixture(readme.slice(from + START.length, to), configReference());
});

test('the reference loads as the defaults', () => {
	const dir = tempDir('reference');
	const file = join(dir, 'reference.yaml');
	writeFileSync(file, configReference());
	const defaults = effectiveConfig(loadSettings(['--data', dir], {}).settings, 'json');
	const fromReference = loadSettings(['--data', dir, '--config', file], {});
	assert.is(fromReference.file, file);
	assert.is(effectiveConfig(fromReference.settings, 'json'), defaults);
});

test('durations and sizes with units, printed back in the largest exact unit', () => {
	assert.equal(
		['250', 250, '1.5s', '30s', '5m', '2h', '7d', '1.5ms', 'x', '3w', 1.5].map((value) => parseDuration(value)),
		[250, 250, 1500, 30_000, 300_000, 7_200_000, 604_800_000, undefined, undefined, undefined, undefined],
	);
	assert.is(parseDuration('1d', 1000), 86_400);
	assert.equal(
		['512', '10GiB', '1 MiB', '2kb', '1.5KiB', '10 GB', '1.5B', 'lots'].map((value) => parseSize(value)),
		[512, 10 * 1024 ** 3, 1024 ** 2, 2000, 1536, 1e10, undefined, undefined],
	);
	assert.equal(
		[formatDuration(604_800_000), formatDuration(1500), formatDuration(86_400, 1000), formatDuration(0)],
		['7d', '1500ms', '1d', 0],
	);
	assert.equal([formatSize(1024 ** 3), formatSize(3 * 1024), formatSize(1536)], ['1GiB', '3KiB', 1536]);
});

test.run();
