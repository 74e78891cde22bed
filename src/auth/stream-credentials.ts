/**
 * What a publisher must present to publish one stream, and the check of what it presented. The
 * listeners hand over what they read in their own protocol's words (`PublishRequest.credentials`):
 *
 * - RTMP: the query of the app and stream (`live/cam?key=…`) — `key`, `token`, …
 * - SRT: the stream id's fields (`#!::r=live/cam,m=publish,s=…,u=…`) — `s` is the key or password
 * - RTSP: `user` and `password` (Basic, or Digest once verified), and the URL's query
 * - HTTP: `token` (Authorization: Bearer), or `user` and `password` (Basic)
 * - UDP: nothing but the sender's address
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { InputCredentials } from '../core/input-spec.ts';
import type { PublishRequest } from '../core/stream-hub.ts';

/**
 * What publishing a stream takes: a `key` any protocol may present (RTMP `?key=`, SRT `s=`, RTSP/HTTP
 * password, HTTP bearer token), a `user` + `password`, an SRT `passphrase` (checked by the SRT
 * handshake itself), allowed `sources`. A job's input carries the same (`InputSpec.credentials`).
 */
export type StreamCredentials = InputCredentials;

/** Credential fields a publisher may carry a key in, per protocol (see the list above). */
const KEY_FIELDS = ['key', 'token', 's', 'password', 'secret'] as const;

/** Compares secrets in time independent of where they differ (hashing first evens out the lengths). */
export const sameSecret = (presented: string | undefined, expected: string): boolean => {
	if (presented === undefined) return false;
	const a = createHash('sha256').update(presented).digest();
	const b = createHash('sha256').update(expected).digest();
	return timingSafeEqual(a, b);
};

/** Whether `required` asks for something a publisher presents (not only a passphrase or an address list). */
export const requiresSecret = (required: StreamCredentials): boolean =>
	required.key !== undefined || required.user !== undefined || required.password !== undefined;

/**
 * Why `request` does not satisfy `required`, or undefined when it does. A passphrase counts only for
 * SRT, whose handshake refused the caller already when it did not hold it; for other protocols an
 * entry with nothing but a passphrase refuses.
 */
export const credentialProblem = (required: StreamCredentials, request: PublishRequest): string | undefined => {
	if (required.sources && !required.sources.some((source) => addressMatches(request.remoteAddress, source)))
		return `address ${request.remoteAddress} is not among the allowed sources`;
	const presented = request.credentials;
	if (required.key !== undefined && KEY_FIELDS.some((field) => sameSecret(presented[field], required.key!)))
		return undefined;
	if (required.user !== undefined && required.password !== undefined) {
		const user = presented.user ?? presented.u;
		const password = presented.password ?? presented.s;
		if (sameSecret(user, required.user) && sameSecret(password, required.password)) return undefined;
	}
	if (requiresSecret(required)) return 'wrong or missing key or credentials';
	if (required.passphrase !== undefined && request.protocol !== 'srt')
		return `the stream takes SRT with its passphrase only, not ${request.protocol}`;
	return undefined;
};

/** `address` equals `source`, or lies in the IPv4 block `source` (`10.0.0.0/8`); IPv4-mapped IPv6 is read as IPv4. */
export const addressMatches = (address: string, source: string): boolean => {
	const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
	const slash = source.indexOf('/');
	if (slash < 0) return plain === source || address === source;
	const bits = Number(source.slice(slash + 1));
	const base = ipv4Number(source.slice(0, slash));
	const value = ipv4Number(plain);
	if (base === undefined || value === undefined) return false;
	// 2^(32-bits) addresses per block; arithmetic, since a shift by 32 is a no-op in JavaScript.
	const size = 2 ** (32 - bits);
	return Math.floor(value / size) === Math.floor(base / size);
};

const ipv4Number = (text: string): number | undefined => {
	if (isIP(text) !== 4) return undefined;
	return text.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
};

/** Checks an address list entry: an IP address, or an IPv4 CIDR block. */
export const isSourcePattern = (source: string): boolean => {
	const slash = source.indexOf('/');
	if (slash < 0) return isIP(source) !== 0;
	const bits = Number(source.slice(slash + 1));
	return isIP(source.slice(0, slash)) === 4 && Number.isInteger(bits) && bits >= 0 && bits <= 32;
};
