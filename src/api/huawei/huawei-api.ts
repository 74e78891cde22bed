/**
 * Huawei Cloud Live's recording command, `POST /v1/{project_id}/record/control?action=START|STOP` with
 * `{publish_domain, app, stream}`, on the one RecordingService. Auth is `X-Auth-Token` holding the
 * server access token; every answer carries `X-request-id: <uuid>-<timestamp>-<hostname>`; errors are
 * `{error_code, error_msg}`, as Huawei's "Submitting a Recording Command" documents them.
 *
 * One job per (domain, app, stream): START records the bus stream `default/<app>/<stream>` only
 * while it is pushed, STOP ends it, a later START resumes the same job with new files.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { TapedeckError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { DEFAULT_VHOST, type StreamKey } from '../../core/stream-hub.ts';
import type { RecordFormat } from '../../recorder/recording.ts';
import type { JobSettings } from '../../recorder/recording-job.ts';
import type { RecordingService } from '../../recorder/recording-service.ts';
import { sameSecret } from '../auth.ts';
import { httpStatusOf, logUnexpected, publicMessage } from '../errors.ts';
import { type Clock, InterruptionWatch, systemClock } from './interruption-watch.ts';
import {
	HuaweiErrorSchema,
	type RecordControl,
	RecordControlParamsSchema,
	RecordControlQuerySchema,
	RecordControlSchema,
} from './schemas.ts';

export const HUAWEI = 'huawei';

export type HuaweiApiOptions = {
	readonly service: RecordingService;
	/** The server access token, sent as `X-Auth-Token`. */
	readonly accessToken: string;
	/** Container of the recorded files (Huawei's `record_format`); default MP4. */
	readonly format?: RecordFormat;
	/** How long a push may stay interrupted before its recording stops for good; default 30 s. */
	readonly interruptionMs?: number;
	/** Minimum time between a STOP and the next START of the same stream (Huawei: 10 s). */
	readonly restartDelayMs?: number;
	/** Time for the STOP→START delay and the interruption limit; tests pass one they advance. */
	readonly clock?: Clock;
	readonly logger?: Logger;
};

/** Huawei's code for both documented failures (seed: 400 "Request Illegal", 404 "The resource to access is not exists"). */
const LIVE_ERROR = 'LIVE.100011001';
const RESTART_DELAY_MS = 10_000;
const INTERRUPTION_MS = 30_000;

/** Mounts the Huawei dialect on `app` (paths under /v1/{project_id}/record) and documents it. */
export const mountHuaweiApi = (app: OpenAPIHono, options: HuaweiApiOptions): void => {
	const { service } = options;
	const clock = options.clock ?? systemClock;
	const now = () => clock.now();
	const restartDelayMs = options.restartDelayMs ?? RESTART_DELAY_MS;
	const format = options.format ?? 'mp4';
	/** Stream name → when its last STOP was accepted. */
	const stoppedAt = new Map<string, number>();
	const watch = new InterruptionWatch(service, {
		dialect: HUAWEI,
		limitMs: options.interruptionMs ?? INTERRUPTION_MS,
		clock,
		...(options.logger ? { logger: options.logger } : {}),
	});
	documentEndpoint(app);

	const start = async (target: RecordControl): Promise<void> => {
		const name = jobName(target);
		const wait = (stoppedAt.get(name) ?? Number.NEGATIVE_INFINITY) + restartDelayMs - now();
		if (wait > 0) {
			throw new TapedeckError(
				'invalid_argument',
				`a START must come at least ${restartDelayMs / 1000} s after the STOP of the same stream; retry in ${Math.ceil(wait / 1000)} s`,
			);
		}
		const key = { vhost: DEFAULT_VHOST, app: target.app, stream: target.stream };
		if (!service.isLive(key)) {
			throw new TapedeckError('invalid_argument', `stream ${target.app}/${target.stream} is not being pushed`);
		}
		const job = service.findByName(name, HUAWEI);
		if (!job) watch.watch(await service.create(toJobSettings(target, key, format)));
		else if (!job.active) watch.watch(await service.start(job.id));
	};

	const stop = async (target: RecordControl): Promise<void> => {
		const name = jobName(target);
		const job = service.findByName(name, HUAWEI);
		if (!job?.active) throw new TapedeckError('not_found', `no recording of ${name} is running`);
		await service.stop(job.id);
		stoppedAt.set(name, now());
	};

	app.use(HUAWEI_PATHS, huaweiOnly(requestId(hostname())));
	app.use(HUAWEI_PATHS, huaweiOnly(authToken(options.accessToken)));
	app.post('/v1/:project_id/record/control', async (c) => {
		try {
			const query = RecordControlQuerySchema.safeParse(c.req.query());
			if (!query.success) {
				throw new TapedeckError(
					'invalid_argument',
					`action must be START or STOP, got "${c.req.query('action') ?? ''}"`,
				);
			}
			const target = await readBody(c);
			if (query.data.action === 'START') await start(target);
			else await stop(target);
			return c.json({});
		} catch (error) {
			logUnexpected(options.logger, 'huawei', error);
			return fail(c, httpStatusOf(error), publicMessage(error));
		}
	});
	app.all(HUAWEI_PATHS, (c) =>
		c.json(
			{ error_code: 'APIGW.0101', error_msg: 'The API does not exist or has not been published in the environment' },
			404,
		),
	);
};

const HUAWEI_PATHS = '/v1/:project_id/record/*';

/** The pattern also matches OME's `/v1/vhosts/record/…` (a virtual host named "record"): leave those to OME. */
const huaweiOnly =
	(middleware: MiddlewareHandler): MiddlewareHandler =>
	(c, next) =>
		c.req.param('project_id') === 'vhosts' ? next() : middleware(c, next);

/** The engine job of one (domain, app, stream): files under `Record/<domain>/<app>/<stream>/`, like Huawei's default prefix. */
const toJobSettings = (target: RecordControl, key: StreamKey, format: RecordFormat): JobSettings => ({
	name: jobName(target),
	dialect: HUAWEI,
	key,
	streamName: target.stream,
	format,
	filePath: `Record/${target.publish_domain}/\${Application}/\${Stream}/\${StartTime:YYYY-MM-DD-hh-mm-ss}_\${Sequence}.${format}`,
	segmentationRule: 'discontinuity',
	active: true,
	extra: { publish_domain: target.publish_domain },
});

const jobName = (target: RecordControl): string => `${target.publish_domain}/${target.app}/${target.stream}`;

/**
 * Huawei's errors: 400 "Request Illegal" and 404 "The resource to access is not exists" as the seed
 * shows them, followed by what exactly was wrong.
 */
const fail = (c: Context, engineStatus: ContentfulStatusCode, detail: string): Response => {
	if (engineStatus >= 500)
		return c.json({ error_code: 'LIVE.100011000', error_msg: `Internal Error: ${detail}` }, engineStatus);
	// Huawei documents only these two: every other refusal (a conflict, an unsupported value) is a 400.
	const status = engineStatus === 404 ? 404 : 400;
	const summary = status === 404 ? 'The resource to access is not exists' : 'Request Illegal';
	return c.json({ error_code: LIVE_ERROR, error_msg: `${summary}: ${detail}` }, status);
};

const readBody = async (c: Context): Promise<RecordControl> => {
	let body: unknown;
	try {
		body = JSON.parse(await c.req.text());
	} catch (error) {
		throw new TapedeckError(
			'invalid_argument',
			`the body must be JSON {publish_domain, app, stream}: ${(error as Error).message}`,
		);
	}
	const parsed = RecordControlSchema.safeParse(body);
	if (!parsed.success) {
		const problems = parsed.error.issues.map(
			(issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`,
		);
		throw new TapedeckError('invalid_argument', problems.join('; '));
	}
	return parsed.data;
};

/** `X-request-id: <uuid>-<timestamp>-<hostname>` on every answer, errors included (the uuid without dashes, so the three parts split). */
const requestId =
	(host: string): MiddlewareHandler =>
	async (c, next) => {
		const id = `${randomUUID().replaceAll('-', '')}-${Date.now()}-${host}`;
		await next();
		c.res.headers.set('X-request-id', id);
	};

/** IAM token auth: `X-Auth-Token` must be the server access token (compared in constant time). */
const authToken =
	(accessToken: string): MiddlewareHandler =>
	async (c, next) => {
		const token = c.req.header('x-auth-token');
		if (token === undefined || !sameSecret(token, accessToken)) {
			const why = token === undefined ? 'X-Auth-Token header is missing' : 'X-Auth-Token is not the access token';
			return c.json({ error_code: 'APIGW.0301', error_msg: `Incorrect IAM authentication information: ${why}` }, 401);
		}
		await next();
	};

const documentEndpoint = (app: OpenAPIHono): void => {
	app.openAPIRegistry.registerComponent('securitySchemes', 'huaweiToken', {
		type: 'apiKey',
		in: 'header',
		name: 'X-Auth-Token',
		description: 'Huawei Cloud Live: the server access token itself.',
	});
	const error = (description: string) => ({
		description,
		headers: { 'X-request-id': { description: '<uuid>-<timestamp>-<hostname>', schema: { type: 'string' as const } } },
		content: { 'application/json': { schema: HuaweiErrorSchema } },
	});
	app.openAPIRegistry.registerPath({
		method: 'post',
		path: '/v1/{project_id}/record/control',
		summary: 'Start or stop recording a pushed stream',
		tags: ['Huawei Cloud Live recording'],
		security: [{ huaweiToken: [] }],
		request: {
			params: RecordControlParamsSchema,
			query: RecordControlQuerySchema,
			body: { content: { 'application/json': { schema: RecordControlSchema } }, required: true },
		},
		responses: {
			200: {
				description: 'Operation succeeded',
				headers: { 'X-request-id': { description: '<uuid>-<timestamp>-<hostname>', schema: { type: 'string' } } },
				content: { 'application/json': { schema: z.object({}) } },
			},
			400: error('Operation failed: bad request, stream not pushed, or START within 10 s of a STOP'),
			401: error('Missing or wrong X-Auth-Token'),
			404: error('The record does not exist (STOP of a stream not being recorded)'),
		},
	});
};
