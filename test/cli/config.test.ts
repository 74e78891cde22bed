/**
 * The configuration as an operator meets it through the real executable: a bad value or an unknown key
 * stops `serve` with one line naming the key and exit code 1; `tapedeck config` shows what serve would
 * run with, secrets masked.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait.ts';

const BIN = join(import.meta.dirname, '../../src/cli/bin.mjs');
// test/run.sh sets NO_COLOR and FORCE_COLOR together, which makes every child node warn on stderr.
delete process.env.FORCE_COLOR;
for (const name of Object.keys(process.env)) if (name.startsWith('TAPEDECK_')) delete process.env[name];

const tapedeck = (args: string[], env: Record<string, string> = {}) =>
	run(process.execPath, [BIN, ...args], 30_000, env);
/** Ports from the OS, so that a server started by mistake binds nothing in use. */
const serve = (data: string, ...more: string[]) => [
	'serve',
	'--data',
	data,
	'--port',
	'0',
	'--rtmp-port',
	'0',
	'--srt-port',
	'0',
	'--rtsp-port',
	'0',
	...more,
];

test('serve refuses a bad value or an unknown key in the file: one line naming the key, exit 1', async () => {
	const data = tempDir('config-cli');
	const file = join(data, 'tapedeck.yaml');
	writeFileSync(file, 'retention:\n  maxAgeMs: x\n');
	const bad = await tapedeck(serve(data));
	assert.is(bad.code, 1);
	assert.is(
		bad.stderr,
		`tapedeck: config: retention.maxAgeMs: expected a duration of at least 1 ms (a number, or with a unit: 30s, 5m, 7d), got "x" (in ${file})\n`,
	);
	assert.is(bad.stdout, '');

	writeFileSync(file, 'ome:\n  virtualhost: studio\n');
	const unknown = await tapedeck(serve(data));
	assert.is(unknown.code, 1);
	assert.is(
		unknown.stderr,
		`tapedeck: config: ome: unknown key "virtualhost" (known: virtualHost, applications) (in ${file})\n`,
	);
});

test('serve runs with a good file, says which it read, and stops on SIGTERM', async () => {
	const data = tempDir('config-cli');
	const file = join(data, 'settings.yml');
	writeFileSync(file, 'api: { port: 0 }\ningest: { rtmpPort: 0, srtPort: 0, rtspPort: 0 }\nlog: { format: json }\n');
	const child = spawn(process.execPath, [BIN, 'serve', '--data', data], {
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { ...process.env, TAPEDECK_CONFIG: file },
	});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk;
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk;
	});
	const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
	try {
		assert.ok(await waitFor(() => stdout.includes('listening on'), 20_000), `${stdout}\n${stderr}`);
		assert.match(stdout, `(data in ${data}, configuration ${file})`);
	} finally {
		child.kill('SIGTERM');
	}
	assert.is(await exited, 0, stderr);
});

test('serve refuses a bad variable, naming the key and the variable', async () => {
	const result = await tapedeck(serve(tempDir('config-cli')), { TAPEDECK_LOG_LEVEL: 'loud' });
	assert.is(result.code, 1);
	assert.is(
		result.stderr,
		'tapedeck: config: log.level: expected one of fatal, error, warn, info, debug, trace, got "loud" (from TAPEDECK_LOG_LEVEL)\n',
	);
});

test('tapedeck config prints the effective configuration with every secret masked', async () => {
	const data = tempDir('config-cli');
	writeFileSync(
		join(data, 'tapedeck.yaml'),
		[
			'api:',
			'  tokens: { callaba: callaba-secret-1 }',
			'publish:',
			'  srtPassphrase: srt-secret-2',
			'  streams: { live/cam: { user: enc, password: pw-secret-3, key: key-secret-4 } }',
			'webhooks:',
			'  endpoints: [{ url: "https://hooks.example.com/x", secret: hook-secret-5 }]',
			'retention: { maxAgeMs: 604800000 }',
		].join('\n'),
	);
	const env = { TAPEDECK_OME_TOKEN: 'ome-secret-6', TAPEDECK_PORT: '9123' };
	const yaml = await tapedeck(['config', '--data', data, '--log-level', 'debug'], env);
	assert.is(yaml.code, 0, yaml.stderr);
	const json = await tapedeck(['config', '--data', data, '--json'], env);
	assert.is(json.code, 0, json.stderr);
	for (const output of [yaml.stdout, json.stdout]) {
		assert.not.match(output, /secret-\d/);
		assert.ok((output.match(/\*\*\*/g) ?? []).length >= 6, output);
	}
	assert.match(yaml.stdout, `# tapedeck serve's configuration (file: ${join(data, 'tapedeck.yaml')})`);
	assert.match(yaml.stdout, /\n {2}level: debug\n/);
	assert.match(yaml.stdout, /\n {2}maxAgeMs: 7d\n/);
	const parsed = JSON.parse(json.stdout);
	assert.is(parsed.api.port, 9123);
	assert.equal(parsed.publish.streams['live/cam'], { user: 'enc', password: '***', key: '***' });
	assert.equal(parsed.webhooks.endpoints, [{ url: 'https://hooks.example.com/x', secret: '***' }]);
});

test('serve --help lists the configuration file and every flag with its key and variable', async () => {
	const help = await tapedeck(['serve', '--help']);
	assert.is(help.code, 0);
	assert.match(help.stdout, '--config <file>');
	assert.match(help.stdout, /--log-format <value> .*\(log\.format; TAPEDECK_LOG_FORMAT\)/);
	assert.match(help.stdout, /--rtmp-port <value> .*\(ingest\.rtmpPort; TAPEDECK_RTMP_PORT\)/);
});

test.run();
