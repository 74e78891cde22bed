/**
 * Who may publish to the built-in listeners: the `publish` section of the configuration (README
 * "Security" → "Publishing"). Earlier versions kept it in a file of its own (`--publish-config`,
 * `TAPEDECK_PUBLISH_CONFIG`, else `<data>/publish.json` when it exists), which is still read as that
 * section:
 *
 *   { "open": false,
 *     "srtPassphrase": "…",                                  // built-in SRT listener, every stream
 *     "webhook": { "url": "http://127.0.0.1:9000/admit", "timeoutMs": 3000 },
 *     "streams": { "live/cam1": { "key": "…" },              // also "app/*" and "*"
 *                  "live/cam2": { "user": "enc", "password": "…", "passphrase": "…", "sources": ["10.0.0.0/8"] } } }
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { InputCredentials } from '../core/input-spec.ts';
import type { Settings } from './config-schema.ts';

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

/** The publish settings file of earlier versions: the one named, else `<data>/publish.json` when it exists. */
export const publishFileOf = (named: string | undefined, dataDir: string): string | undefined => {
	const fallback = join(dataDir, 'publish.json');
	return named ?? (existsSync(fallback) ? fallback : undefined);
};

export const publishConfig = (publish: Settings['publish'], source: string | undefined): PublishConfig => ({
	open: publish.open,
	streams: publish.streams,
	srtPassphrase: publish.srtPassphrase,
	webhook:
		publish.webhook.url === undefined ? undefined : { url: publish.webhook.url, timeoutMs: publish.webhook.timeoutMs },
	source,
});
