import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { sign, verify } from 'hono/jwt';

/** What an `x-access-token` JWT must be: signed with `secret`, and expiring within `maxLifetimeSeconds`. */
export type JwtPolicy = {
	readonly secret: string;
	/**
	 * The longest a token may live, counted from its `iat` and from now: a token without `exp`, or
	 * one that expires later, is refused (a leaked token must not work forever).
	 */
	readonly maxLifetimeSeconds: number;
};

/** Tokens `tapedeck token` and `serve` print live this long unless told otherwise; the default maximum too. */
export const DEFAULT_JWT_LIFETIME_SECONDS = 86_400;

/**
 * Callaba's auth: every request carries `x-access-token: <JWT>` (the raw token, no `Bearer`), an HS256
 * JWT signed with the server's access token. hono/jwt's own middleware insists on `Bearer`, hence this.
 * A plain secret is read as a policy with the default lifetime.
 */
export const accessTokenAuth =
	(
		key: string | JwtPolicy,
		unauthorized: (message: string) => Response,
		tokenOf: (c: Context) => string | undefined = (c) => c.req.header('x-access-token'),
	): MiddlewareHandler =>
	async (c, next) => {
		const policy = typeof key === 'string' ? { secret: key, maxLifetimeSeconds: DEFAULT_JWT_LIFETIME_SECONDS } : key;
		const token = tokenOf(c);
		if (!token) return unauthorized('missing x-access-token header (a JWT signed with the server access token)');
		let payload: Record<string, unknown>;
		try {
			payload = await verify(token.trim(), policy.secret, 'HS256');
		} catch (error) {
			return unauthorized(`invalid x-access-token: ${(error as Error).name}`);
		}
		const problem = lifetimeProblem(payload, policy.maxLifetimeSeconds, Date.now() / 1000);
		if (problem) return unauthorized(`invalid x-access-token: ${problem}`);
		await next();
	};

/** Why a verified payload's lifetime is refused, or undefined (RFC 7519 §4.1.4 exp, §4.1.6 iat). */
const lifetimeProblem = (payload: Record<string, unknown>, max: number, now: number): string | undefined => {
	const { exp, iat } = payload;
	if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'the token has no exp (expiry) claim';
	const from = typeof iat === 'number' && Number.isFinite(iat) ? Math.min(iat, now) : now;
	if (exp - from > max || exp - now > max) {
		return `the token lives longer than the server accepts (${max} s); mint a shorter one`;
	}
	return undefined;
};

/** A JWT for `x-access-token`, valid for `days` days. */
export const issueAccessJwt = (secret: string, days: number, now: Date = new Date()): Promise<string> => {
	const iat = Math.floor(now.getTime() / 1000);
	return sign({ id: 'tapedeck', iat, exp: iat + Math.round(days * 86_400) }, secret, 'HS256');
};

/**
 * Whether a presented secret equals the expected one, in constant time: both are hashed first so
 * neither the content nor the length leaks through timing (OME's Basic token, Huawei's X-Auth-Token).
 */
export const sameSecret = (presented: string, expected: string): boolean =>
	timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());

export type ServerTokenOptions = {
	/** Take the JWT from a GET's `?token=` query parameter too (media links). */
	readonly queryToken?: boolean;
};

/**
 * The server's own credential for its operator endpoints: `Authorization: Bearer <access token>`,
 * which a Prometheus scrape config sends (`authorization.credentials_file`), or the `x-access-token`
 * JWT the Callaba dialect takes (`tapedeck token` prints one). With `queryToken`, a GET may carry the
 * JWT as `?token=` instead: a `<video src>` or a download link cannot send headers (the JWT is short-lived;
 * the access token itself is never taken from a URL, where proxies and browser history keep it).
 */
export const serverTokenAuth = (
	accessToken: string,
	jwt: JwtPolicy,
	options: ServerTokenOptions = {},
): MiddlewareHandler => {
	const unauthorized = (message: string): Response =>
		Response.json(
			{ success: false, message: `Unauthorized: ${message}` },
			{ status: 401, headers: { 'www-authenticate': 'Bearer realm="tapedeck"' } },
		);
	const byJwt = accessTokenAuth(
		jwt,
		(message) => unauthorized(`${message}, or Authorization: Bearer <access token>`),
		options.queryToken ? (c) => c.req.header('x-access-token') ?? queryToken(c) : undefined,
	);
	return async (c, next) => {
		const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
		if (bearer === undefined) return byJwt(c, next);
		if (!sameSecret(bearer, accessToken)) return unauthorized('wrong access token in Authorization: Bearer');
		await next();
	};
};

/** A GET's `?token=` query parameter. */
const queryToken = (c: Context): string | undefined => (c.req.method === 'GET' ? c.req.query('token') : undefined);
