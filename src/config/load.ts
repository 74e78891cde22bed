/**
 * The configuration of `tapedeck serve`, read from its layers (flags over `TAPEDECK_*` variables over
 * the configuration file over the schema's defaults) into ServeConfig, and the access token.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TapedeckError } from '../core/errors.ts';
import { configError, defaultConfigFile, type FileValues, readConfigFile } from './config-file.ts';
import { CONFIG_SCHEMA, envName, type FORMATS, type Settings, settingsOf } from './config-schema.ts';
import { DEFAULTS, ENV } from './defaults.ts';
import type { OperationsConfig } from './operations-config.ts';
import { type PublishConfig, publishConfig, publishFileOf } from './publish-config.ts';
import { type SafetyConfig, safetyConfig } from './safety-config.ts';
import { SettingProblem } from './setting.ts';

export type ServeConfig = {
	/** The API's address. */
	readonly host: string;
	readonly port: number;
	/** Absolute. */
	readonly dataDir: string;
	/** `<data>/recordings`: every file path is confined to it. */
	readonly recordingsDir: string;
	/** `<data>/store`: the job store's journal. */
	readonly storeDir: string;
	readonly syncIntervalMs: number;
	/** Ports of the built-in listeners; 0 when turned off. */
	readonly rtmpPort: number;
	readonly srtPort: number;
	readonly rtspPort: number;
	/** Listener addresses, network policy, connection and request limits, API secrets. */
	readonly safety: SafetyConfig;
	/** Who may publish to the listeners. */
	readonly publish: PublishConfig;
	/** The OvenMediaEngine dialect: its virtual host, and the applications it knows (any when undefined). */
	readonly ome: { readonly virtualHost: string; readonly applications: readonly string[] | undefined };
	/** The Huawei dialect; undefined values keep the dialect's own defaults. */
	readonly huawei: {
		readonly format: (typeof FORMATS)[number] | undefined;
		readonly interruptionMs: number | undefined;
		readonly restartDelayMs: number | undefined;
	};
	/** Logging, metrics, webhooks, retention. */
	readonly operations: OperationsConfig;
	/** The configuration file read, if any. */
	readonly configFile: string | undefined;
};

export type AccessToken = {
	/** The secret JWTs are signed with. */
	readonly secret: string;
	/** True when it was generated just now (so it is printed once). */
	readonly generated: boolean;
	/** Where it is kept, when it came from the data folder. */
	readonly path: string | undefined;
};

type Env = Readonly<Record<string, string | undefined>>;

/** node:util parseArgs (string and boolean options), its errors turned into named usage errors. */
export const parseOptions = <O extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(
	argv: readonly string[],
	options: O,
) => {
	try {
		return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
	} catch (error) {
		throw new TapedeckError('invalid_argument', (error as Error).message);
	}
};

const SETTINGS = settingsOf(CONFIG_SCHEMA);

/** The options of `serve` (and `config`): a flag per setting that has one, and the files' own. */
export const SERVE_FLAGS: Readonly<Record<string, { type: 'string' | 'boolean'; short?: string }>> = {
	config: { type: 'string', short: 'c' },
	'publish-config': { type: 'string' },
	...Object.fromEntries(
		SETTINGS.flatMap(({ setting }) =>
			setting.meta.flag === undefined
				? []
				: [
						[
							setting.meta.flag,
							{
								type: setting.kind.switch ? ('boolean' as const) : ('string' as const),
								...(setting.meta.short ? { short: setting.meta.short } : {}),
							},
						],
					],
		),
	),
};

/** Every setting with its value, and the files they came from. */
export type LoadedSettings = {
	readonly settings: Settings;
	/** The configuration file read, if any. */
	readonly file: string | undefined;
	/** Where the publish settings came from (the configuration file, or an earlier version's publish file). */
	readonly publishSource: string | undefined;
};

/** A file's value at a dotted key. */
const at = (values: FileValues, key: string): unknown =>
	key.split('.').reduce<unknown>((node, name) => (node as FileValues | undefined)?.[name], values);

/** Sets a dotted key in a nested object, making the sections on the way. */
export const place = (target: Record<string, unknown>, key: string, value: unknown): void => {
	const names = key.split('.');
	const last = names.pop() as string;
	let node = target;
	for (const name of names) {
		node[name] ??= {};
		node = node[name] as Record<string, unknown>;
	}
	node[last] = value;
};

/** A flag's or variable's text as its setting's value; a bad one is named with where it came from. */
const readText = (key: string, read: (value: unknown) => unknown, value: unknown, source: string): unknown => {
	try {
		return read(value);
	} catch (error) {
		if (error instanceof SettingProblem) throw configError(`${key}: ${error.message} (from ${source})`);
		throw error;
	}
};

/**
 * Every setting from its layers: flags over `TAPEDECK_*` variables over the configuration file
 * (`--config`, `TAPEDECK_CONFIG`, else `<data>/tapedeck.yaml|.yml|.json` when present) over defaults.
 */
export const loadSettings = (argv: readonly string[], env: Env = process.env): LoadedSettings => {
	const { values: flags } = parseOptions(argv, SERVE_FLAGS) as { values: Record<string, string | boolean | undefined> };
	const variable = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
	const named = (flag: string, name: string) => (flags[flag] as string | undefined) ?? variable(name);
	const dataDir = (file: FileValues) =>
		(flags['data'] as string | undefined) ??
		variable(envName('dataDir', CONFIG_SCHEMA.dataDir)) ??
		(at(file, 'dataDir') as string | undefined) ??
		DEFAULTS.dataDir;

	const file = named('config', ENV.config) ?? defaultConfigFile(dataDir({}));
	const fromFile: FileValues = file === undefined ? {} : readConfigFile(file);
	const publishFile = publishFileOf(named('publish-config', ENV.publishConfig), dataDir(fromFile));
	const fromPublishFile =
		publishFile === undefined ? {} : readConfigFile(publishFile, (content) => ({ publish: content }));
	if (publishFile !== undefined && fromFile['publish'] !== undefined)
		throw configError(`publish settings are in both ${file} and ${publishFile}: keep them in one`);
	const layered = { ...fromFile, ...fromPublishFile };

	const settings: Record<string, unknown> = {};
	for (const { key, setting } of SETTINGS) {
		const flag = setting.meta.flag === undefined ? undefined : flags[setting.meta.flag];
		const name = envName(key, setting);
		const read = (value: unknown, source: string) => readText(key, setting.kind.read, value, source);
		const value =
			flag !== undefined
				? read(flag, `--${setting.meta.flag}`)
				: variable(name) !== undefined
					? read(variable(name), name)
					: (at(layered, key) ?? setting.defaultValue);
		place(settings, key, value);
	}
	const publishSource = publishFile ?? (fromFile['publish'] === undefined ? undefined : file);
	return { settings: settings as Settings, file, publishSource };
};

/** The server's configuration out of the settings. */
export const serveConfig = ({ settings, file, publishSource }: LoadedSettings): ServeConfig => {
	const dataDir = resolve(settings.dataDir);
	const { ingest, ome, huawei } = settings;
	return {
		host: settings.api.host,
		port: settings.api.port,
		dataDir,
		recordingsDir: join(dataDir, 'recordings'),
		storeDir: join(dataDir, 'store'),
		syncIntervalMs: settings.syncIntervalMs,
		rtmpPort: ingest.rtmpPort,
		srtPort: ingest.srtPort,
		rtspPort: ingest.rtspPort,
		safety: safetyConfig(settings),
		publish: publishConfig(settings.publish, publishSource),
		ome: { virtualHost: ome.virtualHost, applications: ome.applications },
		huawei: { format: huawei.format, interruptionMs: huawei.interruptionMs, restartDelayMs: huawei.restartDelayMs },
		operations: {
			log: settings.log,
			metrics: settings.metrics,
			webhooks: settings.webhooks,
			retention: settings.retention,
		},
		configFile: file,
	};
};

/** Reads the flags, the environment and the configuration file into the server's configuration. */
export const loadServeConfig = (argv: readonly string[], env: Env = process.env): ServeConfig =>
	serveConfig(loadSettings(argv, env));

/**
 * The data folder, made private (0700) whatever the umask or its mode before: it holds the access
 * token and the job store, whose jobs carry stream passwords.
 */
export const prepareDataDir = (dataDir: string): void => {
	mkdirSync(dataDir, { recursive: true, mode: 0o700 });
	chmodSync(dataDir, 0o700);
};

/**
 * The server's access token: `TAPEDECK_ACCESS_TOKEN`, else the one stored in `<data>/access-token`,
 * else (when `create`) a new random one, stored there (0600) for the next start. Without `create`
 * a missing token is an error: a token minted for a secret the server does not have is useless.
 */
export const loadAccessToken = (dataDir: string, env: Env = process.env, create = true): AccessToken => {
	const fromEnv = env[ENV.accessToken];
	if (fromEnv !== undefined && fromEnv !== '') return { secret: fromEnv, generated: false, path: undefined };
	const path = join(dataDir, 'access-token');
	if (existsSync(path)) {
		chmodSync(path, 0o600);
		const secret = readFileSync(path, 'utf8').trim();
		if (secret !== '') return { secret, generated: false, path };
	}
	if (!create) {
		throw new TapedeckError(
			'not_found',
			`no access token in ${path} (nor ${ENV.accessToken}): start the server with this data folder first, or pass the server's --data`,
		);
	}
	prepareDataDir(dataDir);
	const secret = randomBytes(32).toString('hex');
	writeFileSync(path, `${secret}\n`, { mode: 0o600 });
	chmodSync(path, 0o600);
	return { secret, generated: true, path };
};
