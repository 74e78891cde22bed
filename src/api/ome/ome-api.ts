/**
 * OvenMediaEngine's recording endpoints on the one RecordingService:
 * `POST /v1/vhosts/{vhost}/apps/{app}:startRecord | :stopRecord | :records` and `GET …:records`.
 * Auth is OME's `Authorization: Basic base64(<access token>)`; every answer is OME's envelope
 * `{statusCode, message, response}` with the messages OME's code writes.
 * A stream `name` of app `app` is the bus stream `default/<app>/<name>`, where RTMP
 * `rtmp://host/<app>/<name>` and the other ingests publish.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { TapedeckError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { DEFAULT_VHOST } from '../../core/stream-hub.ts';
import type { RecordingJob } from '../../recorder/recording-job.ts';
import type { RecordingService } from '../../recorder/recording-service.ts';
import { toSixFieldCron } from '../../recorder/split-policy.ts';
import { sameSecret } from '../auth.ts';
import { httpStatusOf, logUnexpected, publicMessage } from '../errors.ts';
import {
	OmeErrorSchema,
	type OmeRecord,
	RecordEnvelopeSchema,
	RecordIdSchema,
	RecordsEnvelopeSchema,
	RecordsQuerySchema,
	StartRecordSchema,
} from './schemas.ts';
import { OME, toJobSettings, toOmeRecord } from './translate.ts';

export type OmeApiOptions = {
	readonly service: RecordingService;
	readonly recordingsRoot: string;
	/** The server access token: clients send `Basic base64(<token>)`. */
	readonly accessToken: string;
	/** The virtual host name clients use (default `default`); its streams are the bus's `default/…`. */
	readonly virtualHost?: string;
	/** When set, only these applications exist (others answer 404); by default every app name does. */
	readonly applications?: readonly string[];
	readonly logger?: Logger;
};

type Verb = 'startRecord' | 'stopRecord' | 'records';
const VERBS: readonly Verb[] = ['startRecord', 'stopRecord', 'records'];

/** Mounts the OME dialect on `app` (paths under /v1/vhosts) and documents it in the app's OpenAPI registry. */
export const mountOmeApi = (app: OpenAPIHono, options: OmeApiOptions): void => {
	const { service, recordingsRoot } = options;
	const virtualHost = options.virtualHost ?? DEFAULT_VHOST;
	documentEndpoints(app);

	const view = (job: RecordingJob, state?: OmeRecord['state']): OmeRecord =>
		toOmeRecord(job, {
			virtualHost,
			recordingsRoot,
			files: service.files(job.id),
			currentFile: service.stats(job.id).currentFile,
			...(state ? { state } : {}),
		});
	const find = (id: string): RecordingJob | undefined => service.list().find((job) => job.id === id);
	const inApp = (job: RecordingJob, appName: string): boolean =>
		job.key.vhost === DEFAULT_VHOST && job.key.app === appName;

	const startRecord = async (appName: string, raw: Record<string, unknown>): Promise<OmeRecord> => {
		requireParameters(raw, ['id', 'stream.name']);
		const body = parse(StartRecordSchema, raw);
		if ((body.interval ?? 0) > 0 && body.schedule) {
			throw new TapedeckError('invalid_argument', '[Interval] and [Schedule] cannot be used at the same time');
		}
		if (body.schedule) {
			try {
				toSixFieldCron(body.schedule);
			} catch (error) {
				throw new TapedeckError('invalid_argument', `Invalid [schedule] parameter: ${(error as Error).message}`);
			}
		}
		const key = { vhost: DEFAULT_VHOST, app: appName, stream: body.stream.name };
		const settings = toJobSettings(key, body, recordingsRoot);
		const existing = find(body.id);
		if (!existing) return view(await service.create(settings, body.id));
		// OME keeps a failed task dead until it is stopped and re-created; a start of the same id retries it.
		const retry =
			existing.dialect === OME && inApp(existing, appName) && (existing.state === 'error' || !existing.active);
		// OME's code answers a duplicate id with 400 (its documentation says 409).
		if (!retry) throw new TapedeckError('invalid_argument', 'Duplicate ID already exists');
		return view(await service.update(body.id, settings));
	};

	const stopRecord = async (appName: string, raw: Record<string, unknown>): Promise<OmeRecord> => {
		requireParameters(raw, ['id']);
		const { id } = parse(RecordIdSchema, raw);
		const job = find(id);
		if (!job || !inApp(job, appName)) {
			throw new TapedeckError('not_found', `There is no record information related to the ID [${id}]`);
		}
		// The answer is the task as it stops, with its last figures; OME then forgets the task (its files stay).
		const stopped = view(await service.stop(id), 'stopping');
		if (job.dialect === OME) await service.remove(id);
		return stopped;
	};

	const records = (appName: string, raw: Record<string, unknown>): OmeRecord[] => {
		const { id } = parse(RecordsQuerySchema, raw);
		return service
			.list()
			.filter((job) => inApp(job, appName) && (!id || job.id === id))
			.sort((a, b) => a.createdAt.localeCompare(b.createdAt))
			.map((job) => view(job));
	};

	app.use('/v1/vhosts/*', basicTokenAuth(options.accessToken));
	app.on(['GET', 'POST'], '/v1/vhosts/:vhost/apps/:action', async (c) => {
		const vhost = c.req.param('vhost');
		const action = c.req.param('action');
		const at = action.lastIndexOf(':');
		const appName = at < 0 ? action : action.slice(0, at);
		const verb = VERBS.find((v) => v === action.slice(at + 1));
		try {
			if (at < 0 || !verb || (c.req.method === 'GET' && verb !== 'records')) {
				throw new TapedeckError('not_found', `Could not find the action: [${action}]`);
			}
			if (vhost !== virtualHost) throw new TapedeckError('not_found', `Could not find the virtual host: [${vhost}]`);
			if (appName === '' || (options.applications && !options.applications.includes(appName))) {
				throw new TapedeckError('not_found', `Could not find the application: [${vhost}/${appName}]`);
			}
			const body = c.req.method === 'GET' ? c.req.query() : await readJsonObject(c, `${vhost}/${appName}`);
			switch (verb) {
				case 'startRecord':
					return ok(c, await startRecord(appName, body));
				case 'stopRecord':
					return ok(c, await stopRecord(appName, body));
				default:
					return ok(c, records(appName, body));
			}
		} catch (error) {
			logUnexpected(options.logger, 'ome', error);
			return fail(c, httpStatusOf(error), publicMessage(error));
		}
	});
};

/** OME prints its HTTP errors as `[HTTP] <message> (<status>)`. */
const fail = (c: Context, status: ContentfulStatusCode, message: string): Response =>
	c.json({ statusCode: status, message: `[HTTP] ${message} (${status})` }, status);

const ok = (c: Context, response: OmeRecord | OmeRecord[]): Response =>
	c.json({ statusCode: 200, message: 'OK', response });

/**
 * OME's auth: `Authorization: Basic base64(<access token>)`, the token as a whole (it holds no
 * `user:` part), compared in constant time; a 401 names the realm as OME does.
 */
const basicTokenAuth =
	(accessToken: string): MiddlewareHandler =>
	async (c, next) => {
		const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(c.req.header('authorization') ?? '');
		if (!match?.[1]) return unauthorized(c, 'Authorization header is required to call API');
		if (!sameSecret(Buffer.from(match[1], 'base64').toString('utf8'), accessToken)) {
			return unauthorized(c, 'Invalid credentials: Basic base64(<access token>) expected');
		}
		await next();
	};

const unauthorized = (c: Context, message: string): Response => {
	c.header('WWW-Authenticate', 'Basic realm="OvenMediaEngine"');
	return fail(c, 401, message);
};

/** OME's required-parameter check: a missing, empty or non-string field is listed as `[ id stream.name]`. */
const requireParameters = (body: Record<string, unknown>, paths: readonly string[]): void => {
	const missing = paths.filter((path) => {
		const value = path.split('.').reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), body);
		return typeof value !== 'string' || value === '';
	});
	if (missing.length) {
		throw new TapedeckError(
			'invalid_argument',
			`There is no required parameter [${missing.map((p) => ` ${p}`).join('')}]`,
		);
	}
};

const parse = <S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> => {
	const parsed = schema.safeParse(raw);
	if (parsed.success) return parsed.data;
	const problems = parsed.error.issues.map(
		(issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`,
	);
	throw new TapedeckError('invalid_argument', `Invalid parameter: ${problems.join('; ')}`);
};

const readJsonObject = async (c: Context, where: string): Promise<Record<string, unknown>> => {
	const text = await c.req.text();
	if (text.trim() === '') return {};
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch (error) {
		throw new TapedeckError(
			'invalid_argument',
			`Could not parse json context: [${where}]: ${(error as Error).message}`,
		);
	}
	if (!isObject(body))
		throw new TapedeckError('invalid_argument', `Could not parse json context: [${where}]: not an object`);
	return body;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

const documentEndpoints = (app: OpenAPIHono): void => {
	app.openAPIRegistry.registerComponent('securitySchemes', 'omeBasic', {
		type: 'http',
		scheme: 'basic',
		description: 'OvenMediaEngine: `Authorization: Basic base64(<access token>)` (the token alone, no user name).',
	});
	const params = z.object({
		vhost: z.string().openapi({ example: 'default' }),
		app: z.string().openapi({ description: 'Application: the <app> of rtmp://host/<app>/<stream>', example: 'app' }),
	});
	const errors = {
		400: { description: 'Missing or invalid parameter', content: { 'application/json': { schema: OmeErrorSchema } } },
		401: { description: 'Missing or wrong credentials', content: { 'application/json': { schema: OmeErrorSchema } } },
		404: { description: 'Unknown vhost, app or id', content: { 'application/json': { schema: OmeErrorSchema } } },
	};
	const route = (
		method: 'get' | 'post',
		verb: Verb,
		summary: string,
		body: z.ZodType | undefined,
		response: z.ZodType,
	) =>
		app.openAPIRegistry.registerPath({
			method,
			path: `/v1/vhosts/{vhost}/apps/{app}:${verb}`,
			summary,
			tags: ['OvenMediaEngine recording'],
			security: [{ omeBasic: [] }],
			request: {
				params,
				...(body ? { body: { content: { 'application/json': { schema: body } }, required: verb !== 'records' } } : {}),
			},
			responses: {
				200: { description: 'OK', content: { 'application/json': { schema: response } } },
				...errors,
			},
		});
	route(
		'post',
		'startRecord',
		'Start (or reserve) a recording; a duplicate id answers 400',
		StartRecordSchema,
		RecordEnvelopeSchema,
	);
	route('post', 'stopRecord', 'Stop a recording and forget the task', RecordIdSchema, RecordEnvelopeSchema);
	route('post', 'records', 'List recording tasks (all, or one id)', RecordsQuerySchema, RecordsEnvelopeSchema);
	route('get', 'records', 'List every recording task of the app', undefined, RecordsEnvelopeSchema);
};
