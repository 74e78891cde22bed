/**
 * The publish settings as `serve` reads them: the JSON file (flag, environment, or `<data>/publish.json`),
 * the flags, and a clear error for every malformed value.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { loadServeConfig } from '../../src/config/load.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dataDir = () => tempDir('publish-config');
const writeJson = (dir: string, name: string, value: unknown): string => {
	const path = join(dir, name);
	writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
	return path;
};
const load = (argv: string[], env: Record<string, string> = {}) => loadServeConfig(argv, env).publish;

test('defaults: nothing configured, open left to the server (loopback decides)', () => {
	const publish = load(['--data', dataDir()]);
	assert.equal(
		{ ...publish },
		{ open: undefined, streams: {}, srtPassphrase: undefined, webhook: undefined, source: undefined },
	);
});

test('<data>/publish.json is read when present; --publish-config and the environment name another file', () => {
	const dir = dataDir();
	writeJson(dir, 'publish.json', { streams: { 'live/cam': { key: 'k1' } } });
	assert.equal(load(['--data', dir]).streams, { 'live/cam': { key: 'k1' } });
	const other = writeJson(dir, 'other.json', {
		open: false,
		srtPassphrase: 'listener-passphrase',
		webhook: { url: 'http://127.0.0.1:9000/admit' },
		streams: { 'live/*': { user: 'enc', password: 'pw', sources: ['10.0.0.0/8'] }, '*': { passphrase: 'p' } },
	});
	const fromFlag = load(['--data', dir, '--publish-config', other]);
	assert.is(fromFlag.open, false);
	assert.is(fromFlag.srtPassphrase, 'listener-passphrase');
	assert.equal(fromFlag.webhook, { url: 'http://127.0.0.1:9000/admit', timeoutMs: 3000 });
	assert.equal(fromFlag.streams['live/*'], { user: 'enc', password: 'pw', sources: ['10.0.0.0/8'] });
	assert.is(load(['--data', dir], { TAPEDECK_PUBLISH_CONFIG: other }).source, other);
});

test('--allow-open-publish and --publish-webhook override the file', () => {
	const dir = dataDir();
	const file = writeJson(dir, 'p.json', { open: false, webhook: { url: 'http://a/', timeoutMs: 500 } });
	const publish = load([
		'--data',
		dir,
		'--publish-config',
		file,
		'--allow-open-publish',
		'--publish-webhook',
		'https://b/x',
	]);
	assert.is(publish.open, true);
	assert.equal(publish.webhook, { url: 'https://b/x', timeoutMs: 500 });
});

test('malformed settings are named errors', () => {
	const dir = dataDir();
	const bad = (value: unknown, message: RegExp) =>
		assert.throws(() => load(['--data', dir, '--publish-config', writeJson(dir, 'bad.json', value)]), message);
	bad('{not json', /^config: .*bad\.json is not valid YAML or JSON/);
	bad([], /^config: publish: expected a section of keys, got \[\] \(in .*bad\.json\)$/);
	bad({ opne: true }, /^config: publish: unknown key "opne" \(known: open, srtPassphrase, webhook, streams\)/);
	bad({ open: 'maybe' }, /^config: publish\.open: expected true or false, got "maybe"/);
	bad({ streams: { cam: { key: 'k' } } }, /publish\.streams\.cam: expected a name of "app\/stream", "app\/\*" or "\*"/);
	bad({ streams: { 'live/cam': { kee: 'k' } } }, /publish\.streams\.live\/cam: unknown key "kee"/);
	bad({ streams: { 'live/cam': { user: 'u' } } }, /"user" and "password" go together/);
	bad({ streams: { 'live/cam': { key: '' } } }, /publish\.streams\.live\/cam\.key: expected a non-empty text, got ""/);
	bad(
		{ webhook: { url: 'ftp://x' } },
		/publish\.webhook\.url: expected an http:\/\/ or https:\/\/ URL, got "ftp:\/\/x"/,
	);
	bad(
		{ webhook: { url: 'http://x', timeoutMs: 0 } },
		/publish\.webhook\.timeoutMs: expected a duration of 1 ms to 60000 ms/,
	);
	assert.throws(() => load(['--data', dir, '--publish-config', join(dir, 'missing.json')]), /cannot read/);
});

test.run();
