/**
 * Every documented key reaches the server's configuration: from a file (YAML and JSON), from its
 * environment variable and from its flag, walking the schema so that a key added later is covered or
 * fails here. Flags override variables, which override the file, which overrides the defaults.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { CONFIG_SCHEMA, envName, FORMATS, settingsOf } from '../../src/config/config-schema.ts';
import { loadServeConfig, loadSettings, place, type ServeConfig } from '../../src/config/load.ts';
import { RECORD_FORMATS } from '../../src/recorder/recording.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Where each key lands in the ServeConfig the server runs with. */
const REACHES: Readonly<Record<string, (config: ServeConfig) => unknown>> = {
	dataDir: (c) => c.dataDir,
	syncIntervalMs: (c) => c.syncIntervalMs,
	'api.host': (c) => c.host,
	'api.port': (c) => c.port,
	'api.maxBodyBytes': (c) => c.safety.maxBodyBytes,
	'api.jwtMaxLifetimeSeconds': (c) => c.safety.jwtMaxLifetimeSeconds,
	'api.tokens.callaba': (c) => c.safety.credentials.callaba,
	'api.tokens.ome': (c) => c.safety.credentials.ome,
	'api.tokens.huawei': (c) => c.safety.credentials.huawei,
	'ingest.host': (c) => c.safety.listenHost,
	'ingest.rtmpPort': (c) => c.rtmpPort,
	'ingest.srtPort': (c) => c.srtPort,
	'ingest.rtspPort': (c) => c.rtspPort,
	'ingest.allowListen': (c) =>
		c.safety.network.listenAddresses.filter((a) => ![c.safety.listenHost, '127.0.0.1', '::1'].includes(a)),
	'ingest.handshakeTimeoutMs': (c) => c.safety.connections.handshakeTimeoutMs,
	'ingest.idleTimeoutMs': (c) => c.safety.connections.idleTimeoutMs,
	'ingest.maxPendingPerSource': (c) => c.safety.connections.maxPendingPerSource,
	'ingest.maxPending': (c) => c.safety.connections.maxPending,
	'pull.allow': (c) => c.safety.network.pullAllow,
	'pull.redirects': (c) => c.safety.network.pullRedirects,
	'publish.open': (c) => c.publish.open,
	'publish.srtPassphrase': (c) => c.publish.srtPassphrase,
	'publish.webhook.url': (c) => c.publish.webhook?.url,
	'publish.webhook.timeoutMs': (c) => c.publish.webhook?.timeoutMs,
	'publish.streams': (c) => c.publish.streams,
	'ome.virtualHost': (c) => c.ome.virtualHost,
	'ome.applications': (c) => c.ome.applications,
	'huawei.format': (c) => c.huawei.format,
	'huawei.interruptionMs': (c) => c.huawei.interruptionMs,
	'huawei.restartDelayMs': (c) => c.huawei.restartDelayMs,
	'log.level': (c) => c.operations.log.level,
	'log.format': (c) => c.operations.log.format,
	'metrics.requireToken': (c) => c.operations.metrics.requireToken,
	'webhooks.endpoints': (c) => c.operations.webhooks.endpoints,
	'webhooks.onFileCompleted': (c) => c.operations.webhooks.onFileCompleted,
	'retention.maxAgeMs': (c) => c.operations.retention.maxAgeMs,
	'retention.maxTotalBytes': (c) => c.operations.retention.maxTotalBytes,
	'retention.minFreeBytes': (c) => c.operations.retention.minFreeBytes,
	'retention.checkIntervalMs': (c) => c.operations.retention.checkIntervalMs,
	'retention.jobs': (c) => c.operations.retention.jobs,
};

const SETTINGS = settingsOf(CONFIG_SCHEMA);
/** What each key's example becomes once read (`'2s'` → 2000). */
const expected = (setting: (typeof SETTINGS)[number]['setting']) => setting.kind.read(setting.meta.example);

/** A nested object holding every key's example. */
const everyExample = (): Record<string, unknown> => {
	const file: Record<string, unknown> = {};
	for (const { key, setting } of SETTINGS) place(file, key, setting.meta.example);
	return file;
};

const assertEveryKeyReached = (config: ServeConfig, from: string) => {
	for (const { key, setting } of SETTINGS)
		assert.equal(REACHES[key]?.(config), expected(setting), `${key} from ${from}`);
};

test('the schema and this test know the same keys, and every example differs from its default', () => {
	assert.equal(SETTINGS.map(({ key }) => key).sort(), Object.keys(REACHES).sort());
	const defaults = loadServeConfig(['--data', tempDir('keys')], {});
	for (const { key, setting } of SETTINGS)
		assert.not.equal(REACHES[key]?.(defaults), expected(setting), `${key}: its example is its default`);
	assert.equal([...FORMATS], [...RECORD_FORMATS]);
});

test('a configuration file sets every documented key, as YAML and as JSON', () => {
	const dir = tempDir('keys');
	const yaml = join(dir, 'every.yaml');
	writeFileSync(yaml, stringify(everyExample()));
	assertEveryKeyReached(loadServeConfig(['--config', yaml], {}), yaml);
	const json = join(dir, 'every.json');
	writeFileSync(json, JSON.stringify(everyExample()));
	assertEveryKeyReached(loadServeConfig([], { TAPEDECK_CONFIG: json }), json);
});

/** A value as a variable or flag holds it: lists comma-separated, maps and lists of objects as JSON. */
const asText = (value: unknown): string => {
	if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value.join(',');
	return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

test('every key has its TAPEDECK_* variable, and every flag sets its key', () => {
	const env = Object.fromEntries(
		SETTINGS.map(({ key, setting }) => [envName(key, setting), asText(setting.meta.example)]),
	);
	assert.ok(Object.keys(env).every((name) => /^TAPEDECK_[A-Z0-9_]+$/.test(name)));
	assert.is(new Set(Object.keys(env)).size, SETTINGS.length);
	assertEveryKeyReached(loadServeConfig([], env), 'the environment');

	const flags = SETTINGS.filter(({ setting }) => setting.meta.flag !== undefined);
	const argv = flags.flatMap(({ setting }) =>
		setting.kind.switch ? [`--${setting.meta.flag}`] : [`--${setting.meta.flag}`, asText(setting.meta.example)],
	);
	const config = loadServeConfig(argv, {});
	for (const { key, setting } of flags)
		assert.equal(REACHES[key]?.(config), expected(setting), `--${setting.meta.flag}`);
});

test('flags over the environment over the file over the defaults', () => {
	const dir = tempDir('layers');
	writeFileSync(
		join(dir, 'tapedeck.yaml'),
		'api:\n  port: 1000\nretention:\n  maxAgeMs: 7d\n  minFreeBytes: 10GiB\nlog:\n  level: warn\n',
	);
	const fromFile = loadServeConfig(['--data', dir], {});
	assert.equal([fromFile.port, fromFile.operations.retention.maxAgeMs], [1000, 7 * 86_400_000]);
	assert.is(fromFile.operations.retention.minFreeBytes, 10 * 1024 ** 3);
	assert.is(fromFile.rtmpPort, 1935, 'a key the file leaves out keeps its default');
	const env = {
		TAPEDECK_DATA: dir,
		TAPEDECK_PORT: '2000',
		TAPEDECK_LOG_LEVEL: 'error',
		TAPEDECK_RETENTION_MAX_AGE_MS: '2d',
	};
	const fromEnv = loadServeConfig([], env);
	assert.equal(
		[fromEnv.port, fromEnv.operations.log.level, fromEnv.operations.retention.maxAgeMs],
		[2000, 'error', 172_800_000],
	);
	const fromFlags = loadServeConfig(['--port', '3000', '--log-level', 'debug', '--log-format', 'json'], env);
	assert.equal(
		[fromFlags.port, fromFlags.operations.log.level, fromFlags.operations.log.format],
		[3000, 'debug', 'json'],
	);
	assert.is(fromFlags.operations.retention.maxAgeMs, 172_800_000);
	assert.is(loadSettings(['--data', dir], {}).file, join(dir, 'tapedeck.yaml'));
});

test('the publish settings file of earlier versions is read as the publish section, but not beside one', () => {
	const dir = tempDir('publish');
	writeFileSync(join(dir, 'publish.json'), JSON.stringify({ streams: { 'live/cam': { key: 'k1' } } }));
	assert.equal(loadServeConfig(['--data', dir], {}).publish.streams, { 'live/cam': { key: 'k1' } });
	writeFileSync(join(dir, 'tapedeck.yaml'), 'publish:\n  open: true\n');
	assert.throws(
		() => loadServeConfig(['--data', dir], {}),
		/^config: publish settings are in both .*tapedeck\.yaml and .*publish\.json: keep them in one$/,
	);
});

test.run();
