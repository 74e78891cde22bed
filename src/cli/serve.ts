/**
 * `tapedeck serve`: the bus, the job store, the recording service, the HTTP API and the built-in
 * protocol listeners, started together; SIGTERM/SIGINT finalize every open file before exit.
 */
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { builtInModules, SRT_UNNAMED_STREAM } from '../../ingest/built-in-module.ts';
import { createInput } from '../../ingest/create-input.ts';
import { RtmpListener } from '../../ingest/rtmp/rtmp-listener.ts';
import { RtspListener } from '../../ingest/rtsp/rtsp-listener.ts';
import { validatePassphrase } from '../../ingest/srt/key-material.ts';
import { SrtListener } from '../../ingest/srt/srt-listener.ts';
import { createApp } from '../api/app.ts';
import { issueAccessJwt } from '../api/auth.ts';
import { upgradeLegacyJob } from '../api/callaba/legacy-job.ts';
import { PublishPolicy } from '../auth/publish-policy.ts';
import { StreamRegistry } from '../bus/stream-registry.ts';
import { flagsHelp } from '../config/config-reference.ts';
import { CONFIG_SCHEMA } from '../config/config-schema.ts';
import { DEFAULTS, ENV } from '../config/defaults.ts';
import {
	type AccessToken,
	loadAccessToken,
	loadServeConfig,
	prepareDataDir,
	type ServeConfig,
} from '../config/load.ts';
import type { BuiltInModule } from '../core/input-spec.ts';
import type { Logger } from '../core/logger.ts';
import type { IngestSource } from '../core/stream-hub.ts';
import { RateLimitedLog } from '../ops/log/rate-limited-log.ts';
import { logRecorderEvents, logRecovery } from '../ops/log/recorder-event-log.ts';
import { Readiness } from '../ops/metrics/readiness.ts';
import { ServerMetrics } from '../ops/metrics/server-metrics.ts';
import { Retention } from '../ops/retention/retention.ts';
import { Webhooks } from '../ops/webhooks/webhooks.ts';
import type { RecoveryReport } from '../recorder/crash-recovery.ts';
import type { RecordedFile } from '../recorder/recording.ts';
import type { RecordingJob } from '../recorder/recording-job.ts';
import { RecordingService } from '../recorder/recording-service.ts';
import type { Sink } from '../sink/sink.ts';
import { JournalStore } from '../store/journal-store.ts';
import { createServerLogger } from './server-logger.ts';
import { stopOnSignals } from './stop-on-signals.ts';
import { VERSION } from './version.ts';

/** What a built-in listener is given. */
export type ListenerContext = {
	readonly hub: StreamRegistry;
	readonly config: ServeConfig;
	readonly policy: PublishPolicy;
	readonly logger: Logger;
};

/** Where a built-in listener binds, and the limits it puts on connections. */
const listening = (config: ServeConfig, port: number) => ({
	host: config.safety.listenHost,
	port,
	connectionLimits: config.safety.connections,
});

/**
 * The built-in protocol listeners (RTMP, SRT, RTSP publish endpoints) by protocol, one line each: a
 * factory that returns the listener, or undefined when its port is 0 (turned off).
 */
const LISTENERS: Readonly<Record<BuiltInModule['protocol'], (context: ListenerContext) => IngestSource | undefined>> = {
	srt: ({ hub, config, policy, logger }) =>
		config.srtPort
			? new SrtListener({
					...listening(config, config.srtPort),
					hub,
					defaultStream: SRT_UNNAMED_STREAM,
					passphrase: (key) => policy.passphraseFor(key),
					logger,
				})
			: undefined,
	rtmp: ({ hub, config, logger }) =>
		config.rtmpPort ? new RtmpListener({ ...listening(config, config.rtmpPort), hub, logger }) : undefined,
	rtsp: ({ hub, config, policy, logger }) =>
		config.rtspPort
			? new RtspListener({
					...listening(config, config.rtspPort),
					hub,
					logger,
					digestPasswords: (key, user) => policy.digestPasswords(key, user),
				})
			: undefined,
};

export type RunningServer = {
	/** `http://host:port` of the API. */
	readonly url: string;
	readonly registry: StreamRegistry;
	readonly service: RecordingService;
	readonly recovery: RecoveryReport;
	/** Finalizes every open file, stops listeners and the API; idempotent. */
	close(): Promise<void>;
};

export type StartOptions = {
	/** Where the log goes; default: the pino logger `config.operations.log` describes. Repeats are held back either way. */
	readonly logger?: Logger;
	/** Tests only: the sink of each recorded file (to inject a full disk). */
	readonly openSink?: (path: string) => Sink;
};

export const startServer = async (
	config: ServeConfig,
	token: AccessToken,
	options: StartOptions = {},
): Promise<RunningServer> => {
	const logs = new RateLimitedLog(options.logger ?? createServerLogger(config.operations.log));
	logs.start();
	const { logger } = logs;
	prepareDataDir(config.dataDir);
	const { publish } = config;
	for (const passphrase of [publish.srtPassphrase, ...Object.values(publish.streams).map((s) => s.passphrase)])
		if (passphrase !== undefined) validatePassphrase(passphrase);
	const policy = PublishPolicy.forServer(publish, [config.safety.listenHost], logger);
	const registry = new StreamRegistry({ authorize: (request) => policy.authorize(request), logger });
	const store = new JournalStore<RecordingJob, RecordedFile>(`${config.storeDir}/recordings.jsonl`, {
		upgrade: upgradeLegacyJob,
	});
	const service = new RecordingService({
		registry,
		store,
		recordingsRoot: config.recordingsDir,
		listenHost: config.safety.listenHost,
		logger,
		syncIntervalMs: config.syncIntervalMs,
		// A job's own inputs under the operator's network policy and connection limits; its own listener
		// admits whom the credentials of its input (and the publish policy) allow.
		openInput: (spec, target, context) =>
			createInput(spec, target, {
				...context,
				network: config.safety.network,
				connections: config.safety.connections,
				admission: policy.gate(spec.credentials ?? {}, spec.address?.host ?? context.listenHost),
			}),
		// The listeners below, as inputs name them (module ids rtmp, srt, rtsp).
		modules: builtInModules({ ...config, host: config.safety.listenHost }),
		...(options.openSink ? { openSink: options.openSink } : {}),
	});
	logRecorderEvents(service.events, logger);
	// Listening before start-up: the files repaired after a crash are announced too.
	const webhooks = new Webhooks({
		config: config.operations.webhooks,
		dataDir: config.dataDir,
		recordingsRoot: config.recordingsDir,
		logger,
	});
	webhooks.start(service.events);
	const recovery = await service.init();
	logRecovery(recovery, logger);
	const { minFreeBytes } = config.operations.retention;
	const metrics = new ServerMetrics({ bus: registry, service, recordingsRoot: config.recordingsDir, minFreeBytes });
	const retention = new Retention({
		service,
		config: config.operations.retention,
		recordingsRoot: config.recordingsDir,
		logger,
	});
	retention.start();

	const listeners: IngestSource[] = [];
	const ports = { srt: config.srtPort, rtmp: config.rtmpPort, rtsp: config.rtspPort };
	for (const protocol of Object.keys(LISTENERS) as BuiltInModule['protocol'][]) {
		const listener = LISTENERS[protocol]({ hub: registry, config, policy, logger });
		if (!listener) continue;
		await listener.start();
		listeners.push(listener);
		const address = `${config.safety.listenHost}:${ports[protocol]}`;
		logger.info({ event: 'listener.started', protocol, address }, `listening: ${listener.description}`);
	}

	let closing: Promise<void> | undefined;
	const readiness = new Readiness({
		store,
		recordingsRoot: config.recordingsDir,
		minFreeBytes,
		listeners: () =>
			listeners.map(({ description, listening }) => ({ description, up: listening === true && !closing })),
		logger,
	});
	metrics.start();
	const app = createApp({
		service,
		recordingsRoot: config.recordingsDir,
		accessToken: token.secret,
		credentials: config.safety.credentials,
		jwtMaxLifetimeSeconds: config.safety.jwtMaxLifetimeSeconds,
		limits: { maxBodyBytes: config.safety.maxBodyBytes },
		version: VERSION,
		logger,
		ome: config.ome,
		huawei: config.huawei,
		operations: { metrics, readiness, requireMetricsToken: config.operations.metrics.requireToken },
	});
	const http = await new Promise<ServerType>((resolve, reject) => {
		const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(server));
		server.once('error', reject);
	});
	const { port } = http.address() as AddressInfo;
	const host = config.host.includes(':') ? `[${config.host}]` : config.host;

	const close = async (): Promise<void> => {
		metrics.stop();
		await new Promise<void>((resolve) => http.close(() => resolve()));
		await Promise.all(listeners.map((listener) => listener.stop().catch(() => {})));
		await retention.stop();
		await service.shutdown();
		await webhooks.stop();
		await store.close();
		logs.close();
	};
	return {
		url: `http://${host}:${port}`,
		registry,
		service,
		recovery,
		close: () => {
			closing ??= close();
			return closing;
		},
	};
};

const { tokens } = CONFIG_SCHEMA.api;

const SERVE_USAGE = `Usage: tapedeck serve [options]

Runs the recording server: the HTTP API (Callaba, OvenMediaEngine and Huawei dialects) and the
built-in RTMP, SRT and RTSP listeners. SIGTERM/SIGINT finalize every open file before exit.

Every setting is a key of the configuration file; flags override TAPEDECK_* environment variables,
which override the file, which overrides the defaults (tapedeck config --reference lists them all).
  -c, --config <file>              configuration file, YAML or JSON (${ENV.config}; default
                                   <data>/tapedeck.yaml, .yml or .json when present)
      --publish-config <file>      publish settings file of earlier versions, read as the publish section
                                   (${ENV.publishConfig}; default <data>/publish.json when present)
${flagsHelp()}

${ENV.accessToken} sets the access token; without it one is generated, stored under the data
folder and printed once, with a JWT for the x-access-token header (tapedeck token prints more).
${tokens.callaba.meta.env}, ${tokens.ome.meta.env} and ${tokens.huawei.meta.env} give a dialect a secret of its own.`;

/** `tapedeck serve [--config FILE] [flags]` */
export async function runServe(argv: string[]): Promise<void> {
	if (argv.includes('--help') || argv.includes('-h')) {
		console.log(SERVE_USAGE);
		return;
	}
	const config = loadServeConfig(argv);
	const token = loadAccessToken(config.dataDir);
	const starting = startServer(config, token);
	stopOnSignals(starting);
	const server = await starting;
	const from = config.configFile === undefined ? '' : `, configuration ${config.configFile}`;
	console.log(`tapedeck ${VERSION} listening on ${server.url} (data in ${config.dataDir}${from})`);
	if (token.generated) {
		console.log(`access token (generated, stored in ${token.path}): ${token.secret}`);
		const callaba = config.safety.credentials.callaba ?? token.secret;
		const days = Math.min(DEFAULTS.tokenDays, config.safety.jwtMaxLifetimeSeconds / 86_400);
		console.log(`x-access-token for the API: ${await issueAccessJwt(callaba, days)}`);
	}
}
