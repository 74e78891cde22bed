import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { sign, verify } from 'hono/jwt';

/**
 * Callaba's auth: every request carries `x-access-token: <JWT>` (the raw token, no `Bearer`), an HS256
 * JWT signed with the server's access token. hono/jwt's own middleware insists on `Bearer`, hence this.
 */
export const accessTokenAuth =
	(secret: string, unauthorized: (message: string) => Response): MiddlewareHandler =>
	async (c, next) => {
		const token = c.req.header('x-access-token');
		if (!token) return unauthorized('missing x-access-token header (a JWT signed with the server access token)');
		try {
			await verify(token.trim(), secret, 'HS256');
		} catch (error) {
			return unauthorized(`invalid x-access-token: ${(error as Error).name}`);
		}
		await next();
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
