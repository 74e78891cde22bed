import { OpenAPIHono } from '@hono/zod-openapi';
import type { RecordingService } from '../recorder/recording-service.ts';
import { mountCallabaApi } from './callaba/callaba-api.ts';

export type AppOptions = {
	readonly service: RecordingService;
	readonly recordingsRoot: string;
	/** The server access token: JWTs in `x-access-token` are signed with it. */
	readonly accessToken: string;
	readonly version: string;
	readonly log?: (message: string) => void;
};

/**
 * The HTTP API: every dialect mounted on one Hono app over the one RecordingService, and the OpenAPI
 * document at /api/openapi.json (public, no CDN-hosted viewer: it is plain JSON).
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
	app.doc('/api/openapi.json', {
		openapi: '3.0.0',
		info: {
			title: 'tapedeck',
			version: options.version,
			description: 'Live-stream recorder: Callaba-style recording API.',
		},
	});
	app.notFound((c) => c.json({ success: false, message: `no endpoint ${c.req.method} ${c.req.path}` }, 404));
	app.onError((error, c) => {
		options.log?.(`api: ${error.stack ?? error.message}`);
		return c.json({ success: false, message: 'internal error' }, 500);
	});
	return app;
};
