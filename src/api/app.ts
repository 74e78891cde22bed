import { OpenAPIHono } from '@hono/zod-openapi';
import type { RecordingService } from '../recorder/recording-service.ts';
import { mountCallabaApi } from './callaba/callaba-api.ts';
import { mountDocsPage } from './docs/docs-page.ts';
import { type HuaweiApiOptions, mountHuaweiApi } from './huawei/huawei-api.ts';
import { mountOmeApi, type OmeApiOptions } from './ome/ome-api.ts';

export type AppOptions = {
	readonly service: RecordingService;
	readonly recordingsRoot: string;
	/** The server access token: JWTs in `x-access-token` are signed with it. */
	readonly accessToken: string;
	readonly version: string;
	readonly log?: (message: string) => void;
	/** OvenMediaEngine dialect settings (virtual host name, known applications). */
	readonly ome?: Pick<OmeApiOptions, 'virtualHost' | 'applications'>;
	/** Huawei dialect settings (format, interruption limit, STOP→START delay). */
	readonly huawei?: Pick<HuaweiApiOptions, 'format' | 'interruptionMs' | 'restartDelayMs' | 'clock'>;
};

/**
 * The HTTP API: every dialect mounted on one Hono app over the one RecordingService, and the OpenAPI
 * document at /api/openapi.json with its self-hosted reader at /api/docs (both public, no CDN).
 */
export const createApp = (options: AppOptions): OpenAPIHono => {
	const app = new OpenAPIHono();
	app.openAPIRegistry.registerComponent('securitySchemes', 'accessToken', {
		type: 'apiKey',
		in: 'header',
		name: 'x-access-token',
		description: 'A JWT (HS256) signed with the server access token; `tapedeck token` prints one.',
	});
	mountCallabaApi(app, {
		service: options.service,
		recordingsRoot: options.recordingsRoot,
		secret: options.accessToken,
		...(options.log ? { log: options.log } : {}),
	});
	mountOmeApi(app, { ...options, ...options.ome });
	mountHuaweiApi(app, { ...options, ...options.huawei });
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
		options.log?.(`api: ${error.stack ?? error.message}`);
		return c.json({ success: false, message: 'internal error' }, 500);
	});
	return app;
};
