import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TapedeckError } from '../core/errors.ts';
import { DEFAULTS, ENV, PUBLISH_ENV } from './defaults.ts';
import { OPERATIONS_DEFAULTS, type OperationsConfig } from './operations-config.ts';
import { loadPublishConfig, type PublishConfig } from './publish-config.ts';
import { loadSafetyConfig, SAFETY_FLAGS, type SafetyConfig } from './safety-config.ts';

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
	/** Logging, metrics, webhooks, retention. */
	readonly operations: OperationsConfig;
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

/** Reads `--host`, `--port`, `--data` (and the environment) into a config; bad values are named errors. */
export const loadServeConfig = (argv: readonly string[], env: Env = process.env): ServeConfig => {
	const { values } = parseOptions(argv, {
		host: { type: 'string' },
		port: { type: 'string', short: 'p' },
		data: { type: 'string', short: 'd' },
		'rtmp-port': { type: 'string' },
		'srt-port': { type: 'string' },
		'rtsp-port': { type: 'string' },
		...SAFETY_FLAGS,
		'publish-config': { type: 'string' },
		'publish-webhook': { type: 'string' },
		'allow-open-publish': { type: 'boolean' },
	});
	const host = values.host ?? env[ENV.host] ?? DEFAULTS.host;
	const port = parsePort(`--port / ${ENV.port}`, values.port ?? env[ENV.port], DEFAULTS.port);
	const dataDir = resolve(values.data ?? env[ENV.dataDir] ?? DEFAULTS.dataDir);
	return {
		host,
		port,
		dataDir,
		recordingsDir: join(dataDir, 'recordings'),
		storeDir: join(dataDir, 'store'),
		syncIntervalMs: DEFAULTS.syncIntervalMs,
		rtmpPort: parsePort('--rtmp-port', values['rtmp-port'], DEFAULTS.rtmpPort),
		srtPort: parsePort('--srt-port', values['srt-port'], DEFAULTS.srtPort),
		rtspPort: parsePort('--rtsp-port', values['rtsp-port'], DEFAULTS.rtspPort),
		safety: loadSafetyConfig(values, env, host),
		publish: loadPublishConfig(dataDir, {
			file: values['publish-config'] ?? env[PUBLISH_ENV.config],
			allowOpen: values['allow-open-publish'] === true,
			webhookUrl: values['publish-webhook'],
		}),
		operations: OPERATIONS_DEFAULTS,
	};
};

const parsePort = (name: string, text: string | undefined, fallback: number): number => {
	if (text === undefined) return fallback;
	const port = Number(text);
	if (text.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
		throw new TapedeckError('invalid_argument', `${name} must be an integer 0-65535, got "${text}"`);
	}
	return port;
};

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
