/**
 * The operator's endpoints: `/healthz` (the process answers), `/readyz` (it can record now),
 * `/metrics` (Prometheus text format) and `/api/streams` (the live streams on the bus).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Readiness } from '../ops/metrics/readiness.ts';
import type { ServerMetrics } from '../ops/metrics/server-metrics.ts';
import { type JwtPolicy, serverTokenAuth } from './auth.ts';

export type OperationsApiOptions = {
	readonly metrics: ServerMetrics;
	readonly readiness: Readiness;
	/** Whether `/metrics` asks for credentials (`operations.metrics.requireToken`); `/api/streams` always does. */
	readonly requireMetricsToken: boolean;
	/** The server access token, accepted as `Authorization: Bearer <token>` (what Prometheus sends). */
	readonly accessToken: string;
	/** What an `x-access-token` JWT must be, as the Callaba dialect checks it. */
	readonly jwt: JwtPolicy;
	readonly version: string;
};

export const mountOperationsApi = (app: OpenAPIHono, options: OperationsApiOptions): void => {
	const { metrics, readiness } = options;
	const auth = serverTokenAuth(options.accessToken, options.jwt);
	app.get('/healthz', (c) => c.json({ status: 'ok', version: options.version, uptimeSeconds: process.uptime() }));
	app.get('/readyz', async (c) => {
		const report = await readiness.check();
		const notReady = report.checks.filter((check) => !check.ready).map((check) => check.message);
		return c.json({ ready: report.ready, notReady, checks: report.checks }, report.ready ? 200 : 503);
	});
	if (options.requireMetricsToken) app.use('/metrics', auth);
	app.get('/metrics', async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }));
	app.use('/api/streams', auth);
	app.get('/api/streams', (c) => c.json({ streams: metrics.liveStreams() }));
	documentEndpoints(app, options.requireMetricsToken);
};

const documentEndpoints = (app: OpenAPIHono, metricsNeedToken: boolean): void => {
	app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAccessToken', {
		type: 'http',
		scheme: 'bearer',
		description: 'The server access token itself (operator endpoints).',
	});
	const secured: Record<string, string[]>[] = [{ bearerAccessToken: [] }, { accessToken: [] }];
	const route = (path: string, summary: string, responses: Record<number, string>, secure: boolean) =>
		app.openAPIRegistry.registerPath({
			method: 'get',
			path,
			summary,
			tags: ['Operations'],
			...(secure ? { security: secured } : {}),
			responses: Object.fromEntries(
				Object.entries(responses).map(([status, description]) => [status, { description }]),
			),
		});
	route('/healthz', 'The process is alive (no credentials)', { 200: '{"status":"ok"}' }, false);
	route(
		'/readyz',
		'The server can record: job store saves, listeners up, recordings disk above its floor (no credentials)',
		{ 200: 'Ready, with each check', 503: 'Not ready: `notReady` lists what is not' },
		false,
	);
	route(
		'/metrics',
		'Prometheus metrics (text format 0.0.4)',
		{ 200: 'The metrics', 401: 'Missing or wrong credentials' },
		metricsNeedToken,
	);
	route(
		'/api/streams',
		'The live streams on the bus, with their tracks and publishers',
		{ 200: '{"streams": [...]}', 401: 'Missing or wrong credentials' },
		true,
	);
};
