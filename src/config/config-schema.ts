/**
 * Every setting of `tapedeck serve`, by its key in the configuration file, with its kind, default,
 * meaning, environment variable and flag. This tree is the one source of truth: the file's validation,
 * the variables and flags read, `tapedeck config` and the README's reference are all made from it.
 */
import { DEFAULT_CONNECTION_LIMITS } from '../core/connection-limits.ts';
import type { InputCredentials } from '../core/input-spec.ts';
import { validatePullAllowEntry } from '../core/network-policy.ts';
import { DEFAULT_VHOST } from '../core/stream-hub.ts';
import { DEFAULTS, PUBLISH_DEFAULTS } from './defaults.ts';
import { boolean, duration, integer, list, mapOf, oneOf, port, size, text, url } from './kinds.ts';
import { OPERATIONS_SCHEMA } from './operations-schema.ts';
import { SAFETY_DEFAULTS } from './safety-config.ts';
import { Setting, setting, type Tree } from './setting.ts';

export type { Tree } from './setting.ts';

/** The values of a tree: what the configuration holds once every layer is read. */
export type Values<T> = T extends Setting<infer V> ? V : { readonly [K in keyof T]: Values<T[K]> };

/** The containers a recording can be written in (the recorder's RECORD_FORMATS; a test keeps them equal). */
export const FORMATS = ['mp4', 'mov', 'avi', 'flv', 'ts', 'fmp4'] as const;
const STREAM_NAME = { pattern: /^(\*|[^/\s]+\/[^/\s]+)$/, text: '"app/stream", "app/*" or "*"' };

export const CONFIG_SCHEMA = {
	dataDir: setting(text, {
		default: DEFAULTS.dataDir,
		description: 'data folder: the job store, the access token and, under recordings/, every recorded file',
		example: '/srv/tapedeck',
		flag: 'data',
		short: 'd',
		env: 'TAPEDECK_DATA',
	}),
	syncIntervalMs: setting(duration(10), {
		default: DEFAULTS.syncIntervalMs,
		description: 'how often an open recording is made durable (fdatasync): about what a power cut loses at most',
		example: '2s',
		flag: 'sync-interval',
	}),
	api: {
		host: setting(text, {
			default: DEFAULTS.host,
			description: 'address of the HTTP API; loopback until you decide otherwise, as the API writes files here',
			example: '0.0.0.0',
			flag: 'host',
			env: 'TAPEDECK_HOST',
		}),
		port: setting(port, {
			default: DEFAULTS.port,
			description: 'port of the HTTP API',
			example: 8081,
			flag: 'port',
			short: 'p',
			env: 'TAPEDECK_PORT',
		}),
		maxBodyBytes: setting(size(1024), {
			default: SAFETY_DEFAULTS.maxBodyBytes,
			description: 'largest request body; larger ones are answered 413 while they arrive',
			example: '2MiB',
			flag: 'max-body-bytes',
			env: 'TAPEDECK_MAX_BODY_BYTES',
		}),
		jwtMaxLifetimeSeconds: setting(duration(60, undefined, 1000), {
			default: SAFETY_DEFAULTS.jwtMaxLifetimeSeconds,
			description: 'longest lifetime of an x-access-token JWT, in seconds; longer ones (or none) are refused',
			example: '7d',
			flag: 'jwt-max-lifetime',
			env: 'TAPEDECK_JWT_MAX_LIFETIME',
		}),
		tokens: {
			callaba: setting(text, {
				description: "the Callaba dialect's own secret (signs its JWTs); default: the access token",
				example: 'callaba-secret',
				env: 'TAPEDECK_CALLABA_TOKEN',
				secret: true,
			}),
			ome: setting(text, {
				description: "the OvenMediaEngine dialect's own secret; default: the access token",
				example: 'ome-secret',
				env: 'TAPEDECK_OME_TOKEN',
				secret: true,
			}),
			huawei: setting(text, {
				description: "the Huawei dialect's own X-Auth-Token; default: the access token",
				example: 'huawei-secret',
				env: 'TAPEDECK_HUAWEI_TOKEN',
				secret: true,
			}),
		},
	},
	ingest: {
		host: setting(text, {
			description: "address of the built-in listeners, and of jobs' own listeners that name none",
			defaultText: 'api.host',
			example: '0.0.0.0',
			flag: 'listen-host',
			env: 'TAPEDECK_LISTEN_HOST',
		}),
		rtmpPort: setting(port, {
			default: DEFAULTS.rtmpPort,
			description: 'built-in RTMP listener; 0 turns it off',
			example: 1936,
			flag: 'rtmp-port',
			env: 'TAPEDECK_RTMP_PORT',
		}),
		srtPort: setting(port, {
			default: DEFAULTS.srtPort,
			description: 'built-in SRT listener (UDP); 0 turns it off',
			example: 9711,
			flag: 'srt-port',
			env: 'TAPEDECK_SRT_PORT',
		}),
		rtspPort: setting(port, {
			default: DEFAULTS.rtspPort,
			description: 'built-in RTSP listener; 0 turns it off',
			example: 8555,
			flag: 'rtsp-port',
			env: 'TAPEDECK_RTSP_PORT',
		}),
		allowListen: setting(list(), {
			default: [],
			description: "more addresses jobs' own listeners may bind (always allowed: ingest.host, 127.0.0.1, ::1)",
			example: ['192.0.2.10', '::'],
			flag: 'allow-listen',
			env: 'TAPEDECK_ALLOW_LISTEN',
		}),
		handshakeTimeoutMs: setting(duration(100), {
			default: DEFAULT_CONNECTION_LIMITS.handshakeTimeoutMs,
			description: 'time a listener connection has to start publishing',
			example: '5s',
			flag: 'handshake-timeout',
			env: 'TAPEDECK_HANDSHAKE_TIMEOUT_MS',
		}),
		idleTimeoutMs: setting(duration(100), {
			default: DEFAULT_CONNECTION_LIMITS.idleTimeoutMs,
			description: 'a listener connection silent this long is closed',
			example: '1m',
			flag: 'idle-timeout',
			env: 'TAPEDECK_IDLE_TIMEOUT_MS',
		}),
		maxPendingPerSource: setting(integer(1), {
			default: DEFAULT_CONNECTION_LIMITS.maxPendingPerSource,
			description: 'connections from one address not publishing yet',
			example: 8,
			flag: 'max-pending-per-source',
			env: 'TAPEDECK_MAX_PENDING_PER_SOURCE',
		}),
		maxPending: setting(integer(1), {
			default: DEFAULT_CONNECTION_LIMITS.maxPending,
			description: 'connections not publishing yet, in all',
			example: 128,
			flag: 'max-pending',
			env: 'TAPEDECK_MAX_PENDING',
		}),
	},
	pull: {
		allow: setting(list(validatePullAllowEntry), {
			default: [],
			description: 'destinations pulls may reach: names (*.example.com), addresses, CIDRs; empty: any',
			example: ['cams.example.com', '10.0.0.0/8'],
			flag: 'pull-allow',
			env: 'TAPEDECK_PULL_ALLOW',
		}),
		redirects: setting(integer(0), {
			default: SAFETY_DEFAULTS.pullRedirects,
			description: 'HTTP redirects a pull follows, to the same scheme only',
			example: 2,
			flag: 'pull-redirects',
			env: 'TAPEDECK_PULL_REDIRECTS',
		}),
	},
	publish: {
		open: setting(boolean, {
			description: 'streams without an entry accept anyone',
			defaultText: 'true while every listener is on loopback, else false',
			example: true,
			flag: 'allow-open-publish',
		}),
		srtPassphrase: setting(text, {
			description: 'passphrase of the built-in SRT listener for streams whose entry names none',
			example: 'listener-passphrase',
			secret: true,
		}),
		webhook: {
			url: setting(url, {
				description: 'admission webhook asked before each publish (2xx and {"allowed": true} allow)',
				example: 'http://127.0.0.1:9000/admit',
				flag: 'publish-webhook',
			}),
			timeoutMs: setting(duration(1, 60_000), {
				default: PUBLISH_DEFAULTS.webhookTimeoutMs,
				description: 'a webhook that has not answered by then denies',
				example: '5s',
			}),
		},
		streams: setting(
			mapOf<InputCredentials>(
				{
					key: setting(text, {
						description: 'stream key (RTMP ?key=, SRT s=, RTSP/HTTP password)',
						example: 'k1',
						secret: true,
					}),
					user: setting(text, { description: 'user, with password (RTSP, HTTP Basic, SRT u=)', example: 'enc' }),
					password: setting(text, { description: 'password of user', example: 'pw', secret: true }),
					passphrase: setting(text, {
						description: 'SRT encryption passphrase, 10-80 bytes',
						example: 'p',
						secret: true,
					}),
					sources: setting(list(), {
						description: 'addresses or IPv4 CIDRs allowed to publish',
						example: ['10.0.0.0/8'],
					}),
				},
				STREAM_NAME,
				(item) =>
					(item['user'] === undefined) !== (item['password'] === undefined)
						? '"user" and "password" go together'
						: undefined,
			),
			{
				default: {},
				description: 'who may publish each stream: "app/stream", "app/*" or "*" → entry (the most specific applies)',
				example: { 'live/cam1': { key: 'k-8c1f' }, 'lan/*': { user: 'enc', password: 'pw', sources: ['10.0.0.0/8'] } },
			},
		),
	},
	ome: {
		virtualHost: setting(text, {
			default: DEFAULT_VHOST,
			description: 'virtual host name of the OvenMediaEngine dialect',
			example: 'studio',
		}),
		applications: setting(list(), {
			description: 'the only applications the OME dialect knows (others answer 404); default: any',
			example: ['app', 'live'],
		}),
	},
	huawei: {
		format: setting(oneOf(FORMATS), {
			description: "container of the Huawei dialect's recordings",
			defaultText: 'mp4',
			example: 'ts',
		}),
		interruptionMs: setting(duration(1), {
			description: 'a push interrupted longer than this stops its recording for good',
			defaultText: '30s',
			example: '1m',
		}),
		restartDelayMs: setting(duration(0), {
			description: 'least time between a STOP and the next START of a stream',
			defaultText: '10s',
			example: '5s',
		}),
	},
	...OPERATIONS_SCHEMA,
} satisfies Tree;

export type Settings = Values<typeof CONFIG_SCHEMA>;

/** Each setting of a tree with its dotted key, in the tree's order. */
export const settingsOf = (tree: Tree, prefix = ''): { readonly key: string; readonly setting: Setting<unknown> }[] =>
	Object.entries(tree).flatMap(([name, node]) =>
		node instanceof Setting ? [{ key: `${prefix}${name}`, setting: node }] : settingsOf(node, `${prefix}${name}.`),
	);

/** A setting's environment variable: its own name, else `TAPEDECK_` and its key (`log.level` → `TAPEDECK_LOG_LEVEL`). */
export const envName = (key: string, setting: Setting<unknown>): string =>
	setting.meta.env ??
	`TAPEDECK_${key
		.replace(/([a-z0-9])([A-Z])/g, '$1_$2')
		.replace(/\./g, '_')
		.toUpperCase()}`;
