import { createHash, randomBytes } from 'node:crypto';

/**
 * RTSP authentication (RFC 2326 §16.8 borrows HTTP's): Basic and Digest (RFC 2617, with and
 * without qop=auth), for both sides: a client answering WWW-Authenticate challenges and a server
 * issuing them and checking Authorization headers.
 */
export type Credentials = { readonly user: string; readonly password: string };

export type Challenge = { readonly scheme: 'basic' | 'digest'; readonly params: ReadonlyMap<string, string> };

/** What a client presented: a Basic pair, or Digest parameters to check against a known password. */
export type PresentedAuth =
	| { readonly scheme: 'basic'; readonly user: string; readonly password: string }
	| { readonly scheme: 'digest'; readonly user: string; readonly params: ReadonlyMap<string, string> };

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** `name=value, name="quoted, value"` → map with lower-cased names. */
const parseParams = (text: string): Map<string, string> => {
	const params = new Map<string, string>();
	const pattern = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
	for (const match of text.matchAll(pattern)) {
		params.set(match[1]!.toLowerCase(), match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? ''));
	}
	return params;
};

export const parseChallenges = (headers: readonly string[]): Challenge[] => {
	const challenges: Challenge[] = [];
	for (const header of headers) {
		const space = header.indexOf(' ');
		const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
		if (scheme !== 'basic' && scheme !== 'digest') continue;
		challenges.push({ scheme, params: parseParams(space < 0 ? '' : header.slice(space + 1)) });
	}
	return challenges;
};

/** Picks Digest over Basic (Basic sends the password in clear). */
export const preferredChallenge = (challenges: readonly Challenge[]): Challenge | undefined =>
	challenges.find((c) => c.scheme === 'digest') ?? challenges.find((c) => c.scheme === 'basic');

/** The Authorization header answering `challenge` for a request `method uri`. `nonceCount` counts uses of the nonce. */
export const authorizationFor = (
	challenge: Challenge,
	credentials: Credentials,
	method: string,
	uri: string,
	nonceCount = 1,
): string => {
	if (challenge.scheme === 'basic') {
		return `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
	}
	const realm = challenge.params.get('realm') ?? '';
	const nonce = challenge.params.get('nonce') ?? '';
	const opaque = challenge.params.get('opaque');
	const algorithm = challenge.params.get('algorithm');
	const qop = challenge.params
		.get('qop')
		?.split(',')
		.map((q) => q.trim())
		.find((q) => q === 'auth');
	const ha1 = md5(`${credentials.user}:${realm}:${credentials.password}`);
	const ha2 = md5(`${method}:${uri}`);
	const parts = [`username="${credentials.user}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`];
	if (qop) {
		const nc = nonceCount.toString(16).padStart(8, '0');
		const cnonce = randomBytes(8).toString('hex');
		parts.push(`response="${md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`)}"`);
		parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
	} else {
		parts.push(`response="${md5(`${ha1}:${nonce}:${ha2}`)}"`);
	}
	if (opaque !== undefined) parts.push(`opaque="${opaque}"`);
	if (algorithm !== undefined) parts.push(`algorithm=${algorithm}`);
	return `Digest ${parts.join(', ')}`;
};

/** Reads an Authorization header; undefined when absent or not Basic/Digest. */
export const parseAuthorization = (header: string | undefined): PresentedAuth | undefined => {
	if (!header) return undefined;
	const space = header.indexOf(' ');
	if (space < 0) return undefined;
	const scheme = header.slice(0, space).toLowerCase();
	const rest = header.slice(space + 1).trim();
	if (scheme === 'basic') {
		const decoded = Buffer.from(rest, 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		if (colon < 0) return undefined;
		return { scheme, user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
	}
	if (scheme === 'digest') {
		const params = parseParams(rest);
		return { scheme, user: params.get('username') ?? '', params };
	}
	return undefined;
};

/** A server-side realm and nonce: issues challenges and checks Digest answers. */
export class DigestRealm {
	readonly realm: string;
	readonly nonce = randomBytes(16).toString('hex');

	constructor(realm: string) {
		this.realm = realm;
	}

	/** WWW-Authenticate values to send with a 401: Digest first, then Basic when allowed. */
	challenges(allowBasic: boolean): string[] {
		const values = [`Digest realm="${this.realm}", nonce="${this.nonce}"`];
		if (allowBasic) values.push(`Basic realm="${this.realm}"`);
		return values;
	}

	/** True when a Digest answer was computed with this realm, our nonce and `password`. */
	verify(presented: Extract<PresentedAuth, { scheme: 'digest' }>, method: string, password: string): boolean {
		const p = presented.params;
		if (p.get('realm') !== this.realm || p.get('nonce') !== this.nonce) return false;
		const ha1 = md5(`${presented.user}:${this.realm}:${password}`);
		const ha2 = md5(`${method}:${p.get('uri') ?? ''}`);
		const qop = p.get('qop');
		const expected = qop
			? md5(`${ha1}:${this.nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:${qop}:${ha2}`)
			: md5(`${ha1}:${this.nonce}:${ha2}`);
		return expected === p.get('response');
	}
}
