/**
 * Callaba Engine's recording endpoints (`/api/recording/*`, `/api/utils/getStat`) on the one
 * RecordingService: each handler validates, translates, calls the service and shapes the answer.
 * Bodies are read as JSON whatever the Content-Type says (Callaba's own examples post `-d ''`
 * without one); query parameters are accepted too, the body wins.
 */
import { statfs } from 'node:fs/promises';
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { TapedeckError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { RecordingService } from '../../recorder/recording-service.ts';
import { accessTokenAuth, type JwtPolicy } from '../auth.ts';
import { httpStatusOf, logUnexpected, publicMessage } from '../errors.ts';
import { builtInInputTypes } from './callaba-input.ts';
import {
	CreatedSchema,
	ErrorSchema,
	GetAllSchema,
	GetByIdSchema,
	IdSchema,
	RecordingSchema,
	RecordingSettingsSchema,
	RemoveFileSchema,
	StatSchema,
	SuccessSchema,
	UpdateSchema,
	UtilsStatSchema,
} from './schemas.ts';
import { mergeUpdate, toJobSettings, toRecordingView, toStatView } from './translate.ts';

export type CallabaApiOptions = {
	readonly service: RecordingService;
	readonly recordingsRoot: string;
	/** The secret JWTs are signed with, and the longest lifetime accepted. */
	readonly secret: string | JwtPolicy;
	readonly logger?: Logger;
};

type Problem = { field: string; message: string };

/** Mounts the Callaba dialect on `app` (paths under /api) and documents it in the app's OpenAPI registry. */
export const mountCallabaApi = (app: OpenAPIHono, options: CallabaApiOptions): void => {
	const { service, recordingsRoot } = options;
	const startedAt = Date.now();
	const fail = (c: Context, error: unknown): Response => {
		const status = httpStatusOf(error);
		logUnexpected(options.logger, 'callaba', error);
		return c.json({ success: false as const, message: publicMessage(error) }, status);
	};
	const unauthorized = (message: string): Response =>
		Response.json({ success: false, message: `Unauthorized: ${message}` }, { status: 401 });

	app.use('/api/recording/*', accessTokenAuth(options.secret, unauthorized));
	app.use('/api/utils/*', accessTokenAuth(options.secret, unauthorized));

	/** One endpoint: parse and validate the body with `schema`, run `handler`, map any error. */
	const endpoint = <S extends z.ZodType, R>(
		method: 'post' | 'delete',
		path: string,
		summary: string,
		schema: S | undefined,
		response: z.ZodType,
		handler: (input: z.infer<S>) => Promise<R>,
	): void => {
		documentEndpoint(app, method, path, summary, schema, response);
		app.on(method.toUpperCase(), path, async (c) => {
			try {
				const raw = await readBody(c);
				let input = raw as z.infer<S>;
				if (schema) {
					const parsed = schema.safeParse(raw);
					if (!parsed.success) {
						const errors = parsed.error.issues.map(describeIssue);
						return c.json(
							{ success: false as const, message: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors },
							400,
						);
					}
					input = parsed.data;
				}
				return c.json((await handler(input)) as object);
			} catch (error) {
				return fail(c, error);
			}
		});
	};

	endpoint(
		'post',
		'/api/recording/create',
		'Create a recording task',
		RecordingSettingsSchema,
		CreatedSchema,
		async (body) => {
			// The service names the job with a new ObjectId-shaped id, as Callaba's are.
			const job = await service.create(toJobSettings(body));
			return { id: job.id, created: job.createdAt, success: 'true' };
		},
	);
	endpoint('post', '/api/recording/update', 'Update a recording task', UpdateSchema, SuccessSchema, async (body) => {
		const { id, ...changes } = body;
		// Merged into the job as it is when the update runs, after the operations asked before it.
		const job = await service.update(id, (current) => toJobSettings(mergeUpdate(current, changes), current));
		return { success: true, id: job.id, updated: job.modifiedAt };
	});
	endpoint('post', '/api/recording/start', 'Start a recording', IdSchema, SuccessSchema, async ({ id }) => {
		await service.start(id);
		return { success: true };
	});
	endpoint('post', '/api/recording/stop', 'Stop a recording', IdSchema, SuccessSchema, async ({ id }) => {
		await service.stop(id);
		return { success: true };
	});
	/** Every job, whichever API made it; a long file list may be paged. */
	const view = (id: string, page: { files_offset?: number | undefined; files_limit?: number | undefined }) =>
		toRecordingView(
			service.get(id),
			service.files(id, {
				...(page.files_offset === undefined ? {} : { offset: page.files_offset }),
				...(page.files_limit === undefined ? {} : { limit: page.files_limit }),
			}),
			recordingsRoot,
			service.fileCount(id),
		);
	endpoint(
		'post',
		'/api/recording/getAll',
		'List the recording tasks',
		GetAllSchema,
		RecordingSchema.array(),
		async (page) => service.list().map((job) => view(job.id, page)),
	);
	endpoint('post', '/api/recording/getById', 'Get a recording task', GetByIdSchema, RecordingSchema, async (body) =>
		view(body.id, body),
	);
	endpoint(
		'post',
		'/api/recording/getStat',
		'Statistics of the recording tasks',
		undefined,
		StatSchema.array(),
		async () => service.list().map((job) => toStatView(service.stats(job.id), recordingsRoot)),
	);
	endpoint(
		'post',
		'/api/recording/removeFile',
		'Remove a recorded file',
		RemoveFileSchema,
		SuccessSchema,
		async (body) => {
			await service.removeFile(body.record_id, body.file_id);
			return { success: true };
		},
	);
	endpoint('delete', '/api/recording/remove', 'Remove a recording task', IdSchema, SuccessSchema, async ({ id }) => {
		await service.remove(id);
		return { success: true };
	});
	const utilsStat = async () => {
		const disk = await statfs(recordingsRoot);
		const jobs = service.list();
		return {
			success: true,
			disk: {
				path: recordingsRoot,
				total_bytes: disk.blocks * disk.bsize,
				free_bytes: disk.bavail * disk.bsize,
				used_bytes: (disk.blocks - disk.bfree) * disk.bsize,
			},
			recordings: {
				total: jobs.length,
				active: jobs.filter((job) => job.active).length,
				recording: jobs.filter((job) => job.state === 'recording').length,
			},
			modules: service.modules.map((module) => ({
				id: module.id,
				protocol: module.protocol,
				url: module.url,
				input_types: builtInInputTypes(module.protocol),
			})),
			uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
		};
	};
	endpoint(
		'post',
		'/api/utils/getStat',
		'Server statistics: free disk space, recordings, built-in listener modules',
		undefined,
		UtilsStatSchema,
		utilsStat,
	);
	app.get('/api/utils/getStat', async (c) => {
		try {
			return c.json(await utilsStat());
		} catch (error) {
			return fail(c, error);
		}
	});
};

const readBody = async (c: Context): Promise<Record<string, unknown>> => {
	const query = c.req.query();
	const text = await c.req.text();
	if (text.trim() === '') return { ...query };
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch (error) {
		throw new TapedeckError('invalid_argument', `the request body is not valid JSON: ${(error as Error).message}`);
	}
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw new TapedeckError('invalid_argument', 'the request body must be a JSON object');
	}
	return { ...query, ...(body as Record<string, unknown>) };
};

/** A zod issue as "field: rule", with "is required" for a missing field. */
const describeIssue = (issue: z.core.$ZodIssue): Problem => {
	const field = issue.path.map(String).join('.') || '(body)';
	const missing = issue.code === 'invalid_type' && / received undefined$/.test(issue.message);
	return { field, message: missing ? `is required (${issue.expected})` : issue.message };
};

const documentEndpoint = (
	app: OpenAPIHono,
	method: 'post' | 'delete',
	path: string,
	summary: string,
	schema: z.ZodType | undefined,
	response: z.ZodType,
): void => {
	app.openAPIRegistry.registerPath({
		method,
		path,
		summary,
		tags: ['Callaba recording'],
		security: [{ accessToken: [] }],
		...(schema ? { request: { body: { content: { 'application/json': { schema } }, required: true } } } : {}),
		responses: {
			200: { description: 'OK', content: { 'application/json': { schema: response } } },
			400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorSchema } } },
			401: {
				description: 'Missing or invalid x-access-token',
				content: { 'application/json': { schema: ErrorSchema } },
			},
			404: { description: 'Unknown id', content: { 'application/json': { schema: ErrorSchema } } },
			409: {
				description: 'Name taken, or file being written',
				content: { 'application/json': { schema: ErrorSchema } },
			},
		},
	});
};
