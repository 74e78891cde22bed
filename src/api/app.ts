import { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from '../core/logger.ts';
import type { RecordingService } from '../recorder/recording-service.ts';
import { DEFAULT_JWT_LIFETIME_SECONDS } from './auth.ts';
import { mountCallabaApi } from './callaba/callaba-api.ts';
import { mountDocsPage } from './docs/docs-page.ts';
import { logUnexpected } from './errors.ts';
import { type HuaweiApiOptions, mountHuaweiApi } from './huawei/huawei-api.ts';
import { mountOmeApi, type OmeApiOptions } from './ome/ome-api.ts';
import { mountOperationsApi, type OperationsApiOptions } from './operations-api.ts';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits, requestLimits } from './request-limits.ts';

/** A secret per API dialect, each optional: one leaked integration then does not open the others. */
export type ApiCredentials = {
	readonly callaba?: string | undefined;
	readonly ome?: string | undefined;
	readonly huawei?: string | undefined;
};

export type AppOptions = {
	readonly service: RecordingService;
	readonly recordingsRoot: string;
	/** The server access token: every dialect's credential unless `credentials` names its own. */
	readonly accessToken: string;
	/** A secret per dialect (Callaba's signs its JWTs); each defaults to `accessToken`. */
	readonly credentials?: ApiCredentials;
	/** The longest lifetime a Callaba JWT may have (default one day). */
	readonly jwtMaxLifetimeSeconds?: number;
	/** Request limits (defaults: DEFAULT_REQUEST_LIMITS). */
	readonly limits?: Partial<RequestLimits>;
	readonly version: string;
	/** Hears refused requests (`api.refused`) and unexpected errors (`api.error`). */
	readonly logger?: Logger;
	/** OvenMediaEngine dialect settings (virtual host name, known applications). */
	readonly ome?: Pick<OmeApiOptions, 'virtualHost' | 'applications'>;
	/** Huawei dialect settings (format, interruption limit, STOP→START delay). */
	readonly huawei?: Pick<HuaweiApiOptions, 'format' | 'interruptionMs' | 'restartDelayMs' | 'clock'>;
	/** The operator endpoints (/healthz, /readyz, /metrics, /api/streams); absent, they are not served. */
	readonly operations?: Pick<OperationsApiOptions, 'metrics' | 'readiness' | 'requireMetricsToken'>;
};

/**
 * The HTTP API: every dialect mounted on one Hono app over the one RecordingService, and the OpenAPI
 * document at /api/openapi.json with its self-hosted reader at /api/docs (both public, no CDN).
 */
export const createApp = (options: AppOptions): OpenAPIHono => {
	const app = new OpenAPIHono();
	const limits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
	app.use(
		'*',
		requestLimits(limits, (c, status, message) => {
			const { method, path } = c.req;
			options.logger?.warn(
				{ event: 'api.refused', method, path, reason: message },
				`api: refused ${method} ${path}: ${message}`,
			);
			return c.json({ success: false, message }, status);
		}),
	);
	const credentials = options.credentials ?? {};
	app.openAPIRegistry.registerComponent('securitySchemes', 'accessToken', {
		type: 'apiKey',
		in: 'header',
		name: 'x-access-token',
		description: 'A JWT (HS256) signed with the server access token; `tapedeck token` prints one.',
	});
	const jwt = {
		secret: credentials.callaba ?? options.accessToken,
		maxLifetimeSeconds: options.jwtMaxLifetimeSeconds ?? DEFAULT_JWT_LIFETIME_SECONDS,
	};
	mountCallabaApi(app, {
		service: options.service,
		recordingsRoot: options.recordingsRoot,
		secret: jwt,
		...(options.logger ? { logger: options.logger } : {}),
	});
	mountOmeApi(app, { ...options, accessToken: credentials.ome ?? options.accessToken, ...options.ome });
	mountHuaweiApi(app, { ...options, accessToken: credentials.huawei ?? options.accessToken, ...options.huawei });
	if (options.operations) {
		mountOperationsApi(app, { ...options.operations, accessToken: options.accessToken, jwt, version: options.version });
	}
	mountDocsPage(app, { path: '/api/docs', openApiPath: '/api/openapi.json' });
	app.doc('/api/openapi.json', {
		openapi: '3.0.0',
		info: {
			title: 'tapedeck',
			version: options.version,
			description:
				'Live-stream recorder with three recording API dialects over one engine: Callaba Engine (/api/recording/*), OvenMediaEngine (/v1/vhosts/{vhost}/apps/{app}:startRecord …) and Huawei Cloud Live (/v1/{project_id}/record/control). A recording started through one is visible through the others.',
		},
	});
	app.notFound((c) => c.json({ success: false, message: `no endpoint ${c.req.method} ${c.req.path}` }, 404));
	app.onError((error, c) => {
		logUnexpected(options.logger, 'http', error);
		return c.json({ success: false, message: 'internal error' }, 500);
	});
	return app;
};
