/**
 * Who may publish to the built-in listeners: a JSON file (`--publish-config`, `TAPEDECK_PUBLISH_CONFIG`,
 * else `<data>/publish.json` when it exists) and two flags. Every key and its default is in the README
 * ("Security" → "Publishing"):
 *
 *   { "open": false,
 *     "srtPassphrase": "…",                                  // built-in SRT listener, every stream
 *     "webhook": { "url": "http://127.0.0.1:9000/admit", "timeoutMs": 3000 },
 *     "streams": { "live/cam1": { "key": "…" },              // also "app/*" and "*"
 *                  "live/cam2": { "user": "enc", "password": "…", "passphrase": "…", "sources": ["10.0.0.0/8"] } } }
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TapedeckError } from '../core/errors.ts';
import type { InputCredentials } from '../core/input-spec.ts';
import { PUBLISH_DEFAULTS } from './defaults.ts';

/** One stream's entry: what publishing it takes, in the same words as a job input's credentials. */
export type PublishStreamConfig = InputCredentials;

export type PublishConfig = {
	/** Streams without an entry are open to anyone: undefined = the server decides (open on loopback only). */
	readonly open: boolean | undefined;
	readonly streams: Readonly<Record<string, PublishStreamConfig>>;
	readonly srtPassphrase: string | undefined;
	readonly webhook: { readonly url: string; readonly timeoutMs: number } | undefined;
	/** Where it was read from, for messages. */
	readonly source: string | undefined;
};

type Flags = {
	readonly file: string | undefined;
	readonly allowOpen: boolean;
	readonly webhookUrl: string | undefined;
};

export const loadPublishConfig = (dataDir: string, flags: Flags): PublishConfig => {
	const fallback = join(dataDir, 'publish.json');
	const path = flags.file ?? (existsSync(fallback) ? fallback : undefined);
	const raw = path === undefined ? {} : readJson(path);
	const where = path ?? 'publish settings';
	const object = asObject(raw, where);
	const known = ['open', 'streams', 'srtPassphrase', 'webhook'];
	for (const name of Object.keys(object))
		if (!known.includes(name)) fail(`${where}: unknown key "${name}" (known: ${known.join(', ')})`);
	const open = object['open'];
	if (open !== undefined && typeof open !== 'boolean') fail(`${where}: "open" must be true or false`);
	const webhook = readWebhook(object['webhook'], where, flags.webhookUrl);
	const streams: Record<string, PublishStreamConfig> = {};
	for (const [name, entry] of Object.entries(asObject(object['streams'] ?? {}, `${where}: "streams"`))) {
		if (!/^(\*|[^/\s]+\/[^/\s]+)$/.test(name)) fail(`${where}: stream "${name}" must be "app/stream", "app/*" or "*"`);
		streams[name] = readStream(entry, `${where}: stream "${name}"`);
	}
	return {
		open: flags.allowOpen ? true : (open as boolean | undefined),
		streams,
		srtPassphrase: optionalText(object['srtPassphrase'], `${where}: "srtPassphrase"`),
		webhook,
		source: path,
	};
};

const readJson = (path: string): unknown => {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		return fail(`cannot read the publish settings ${path}: ${(error as Error).message}`);
	}
	try {
		return JSON.parse(text);
	} catch (error) {
		return fail(`${path} is not valid JSON: ${(error as Error).message}`);
	}
};

const readWebhook = (value: unknown, where: string, flagUrl: string | undefined): PublishConfig['webhook'] => {
	if (value === undefined && flagUrl === undefined) return undefined;
	const object = value === undefined ? {} : asObject(value, `${where}: "webhook"`);
	const url = flagUrl ?? object['url'];
	if (typeof url !== 'string' || !/^https?:\/\//.test(url))
		fail(`${where}: the webhook url must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
	const timeoutMs = object['timeoutMs'] ?? PUBLISH_DEFAULTS.webhookTimeoutMs;
	if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000)
		fail(`${where}: "webhook.timeoutMs" must be an integer 1-60000, got ${JSON.stringify(timeoutMs)}`);
	return { url: url as string, timeoutMs: timeoutMs as number };
};

const readStream = (value: unknown, where: string): PublishStreamConfig => {
	const object = asObject(value, where);
	const known = ['key', 'user', 'password', 'passphrase', 'sources'];
	for (const name of Object.keys(object))
		if (!known.includes(name)) fail(`${where}: unknown key "${name}" (known: ${known.join(', ')})`);
	const user = optionalText(object['user'], `${where}: "user"`);
	const password = optionalText(object['password'], `${where}: "password"`);
	if ((user === undefined) !== (password === undefined)) fail(`${where}: "user" and "password" go together`);
	const passphrase = optionalText(object['passphrase'], `${where}: "passphrase"`);
	const sources = object['sources'];
	if (sources !== undefined && !(Array.isArray(sources) && sources.every((s) => typeof s === 'string')))
		fail(`${where}: "sources" must be a list of addresses or IPv4 CIDR blocks`);
	return {
		...pick('key', optionalText(object['key'], `${where}: "key"`)),
		...pick('user', user),
		...pick('password', password),
		...pick('passphrase', passphrase),
		...(sources === undefined ? {} : { sources: sources as string[] }),
	};
};

const pick = <K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> =>
	value === undefined ? {} : ({ [name]: value } as Record<K, string>);

const optionalText = (value: unknown, where: string): string | undefined => {
	if (value === undefined) return undefined;
	if (typeof value !== 'string' || value === '') fail(`${where} must be a non-empty string`);
	return value as string;
};

const asObject = (value: unknown, where: string): Record<string, unknown> => {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where} must be a JSON object`);
	return value as Record<string, unknown>;
};

const fail = (message: string): never => {
	throw new TapedeckError('invalid_argument', message);
};
