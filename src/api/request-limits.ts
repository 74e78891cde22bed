import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * What one API request may carry. A job is kept in the store and rewritten on its changes, so a
 * request's size bounds the store's too; and nothing in a request may start before all of it is
 * known to fit (a body too deep for the store once started a listener no call could see).
 */
export type RequestLimits = {
	/** Body bytes, counted while the body is read (a larger one is never buffered): 413 above. */
	readonly maxBodyBytes: number;
	/** Nesting of JSON objects and arrays. */
	readonly maxJsonDepth: number;
	/** Characters of any JSON string (names, URLs, paths) other than metadata. */
	readonly maxStringLength: number;
	/** Characters of a `metadata` string (free text the recorder copies into its info files). */
	readonly maxMetadataLength: number;
	/** Items of any JSON array, and keys of any JSON object. */
	readonly maxItems: number;
};

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
	maxBodyBytes: 1024 * 1024,
	maxJsonDepth: 16,
	maxStringLength: 4096,
	maxMetadataLength: 65_536,
	maxItems: 1000,
};

/** Why a JSON text breaks the limits, or undefined when it keeps them (or is not JSON: the handler says so). */
export const jsonLimitProblem = (text: string, limits: RequestLimits): string | undefined => {
	const depth = maxDepth(text);
	if (depth > limits.maxJsonDepth) {
		return `the request body nests ${depth} levels deep; at most ${limits.maxJsonDepth} are accepted`;
	}
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return undefined;
	}
	return valueProblem(value, '(body)', limits);
};

/**
 * The deepest nesting of `{`/`[` outside strings, read off the text: deciding this before parsing
 * keeps a hostile body from reaching any recursive code (JSON.stringify in the store is one).
 */
const maxDepth = (text: string): number => {
	let depth = 0;
	let deepest = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (inString) {
			if (c === 0x5c)
				i++; // backslash: the next character is escaped
			else if (c === 0x22) inString = false;
		} else if (c === 0x22) inString = true;
		else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
		else if (c === 0x7d || c === 0x5d) depth--;
	}
	return deepest;
};

/** Walks a parsed value whose depth is already bounded. */
const valueProblem = (value: unknown, field: string, limits: RequestLimits): string | undefined => {
	if (typeof value === 'string') {
		const metadata = field === 'metadata' || field.endsWith('.metadata');
		const max = metadata ? limits.maxMetadataLength : limits.maxStringLength;
		return value.length > max ? `${field} has ${value.length} characters; at most ${max} are accepted` : undefined;
	}
	if (typeof value !== 'object' || value === null) return undefined;
	const entries = Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value);
	if (entries.length > limits.maxItems) {
		return `${field} has ${entries.length} ${Array.isArray(value) ? 'items' : 'keys'}; at most ${limits.maxItems} are accepted`;
	}
	for (const [key, item] of entries) {
		const keyProblem = valueProblem(key, `${field} key`, limits);
		if (keyProblem) return keyProblem;
		const problem = valueProblem(item, field === '(body)' ? key : `${field}.${key}`, limits);
		if (problem) return problem;
	}
	return undefined;
};

/**
 * The request limits as one middleware, ahead of every dialect: the body size while it streams in
 * (413), then the JSON shape (400), both before any handler runs. Handlers read the body again
 * from Hono's cache.
 */
export const requestLimits = (
	limits: RequestLimits,
	refuse: (c: Context, status: 400 | 413, message: string) => Response,
): MiddlewareHandler => {
	const size = bodyLimit({
		maxSize: limits.maxBodyBytes,
		onError: (c) => refuse(c, 413, `the request body is larger than ${limits.maxBodyBytes} bytes`),
	});
	return async (c, next) => {
		let withinSize = false;
		const refused = await size(c, async () => {
			withinSize = true;
		});
		if (!withinSize) return refused;
		if (c.req.raw.body) {
			const problem = jsonLimitProblem(await c.req.text(), limits);
			if (problem) return refuse(c, 400, problem);
		}
		await next();
	};
};
