/**
 * `srt://host:port?streamid=…&passphrase=…&latency=…&pbkeylen=…` as a caller target. Times are in
 * milliseconds, as srt-live-transmit reads them (ffmpeg's srt:// reads latency in µs: not here).
 */
import { TapedeckError } from '../../src/core/errors.ts';
import { isKeyLength, type KeyLength, validatePassphrase } from './key-material.ts';

export type SrtUrl = {
	host: string;
	port: number;
	streamId?: string;
	passphrase?: string;
	/** Our receive latency, ms. */
	latencyMs?: number;
	/** Key length in bytes (pbkeylen); default: what the listener advertises, else 16. */
	keyLength?: KeyLength;
	connectTimeoutMs?: number;
};

const KNOWN = new Set([
	'streamid',
	'passphrase',
	'latency',
	'rcvlatency',
	'pbkeylen',
	'mode',
	'connect_timeout',
	'conntimeo',
]);

const integer = (name: string, value: string, min: number, max: number): number => {
	const n = Number(value);
	if (!Number.isInteger(n) || n < min || n > max)
		throw new TapedeckError('invalid_argument', `srt:// ${name} must be an integer in ${min}..${max}, got "${value}"`);
	return n;
};

export const parseSrtUrl = (text: string): SrtUrl => {
	let url: URL;
	try {
		// srt:// URLs have no fragment: a `#` belongs to the stream id (`streamid=#!::r=…`).
		url = new URL(text.replaceAll('#', '%23'));
	} catch {
		throw new TapedeckError('invalid_argument', `not a URL: "${text}"`);
	}
	if (url.protocol !== 'srt:') throw new TapedeckError('invalid_argument', `expected an srt:// URL, got "${text}"`);
	if (url.hostname === '' || url.port === '')
		throw new TapedeckError('invalid_argument', `srt:// URL needs a host and a port, got "${text}"`);
	for (const name of url.searchParams.keys())
		if (!KNOWN.has(name)) throw new TapedeckError('invalid_argument', `srt:// option "${name}" is not supported`);
	const q = url.searchParams;
	const mode = q.get('mode');
	if (mode !== null && mode !== 'caller')
		throw new TapedeckError('invalid_argument', `srt:// mode=${mode}: a pull URL is always mode=caller`);
	const result: SrtUrl = { host: url.hostname.replace(/^\[|\]$/g, ''), port: integer('port', url.port, 1, 65535) };
	const streamId = q.get('streamid');
	if (streamId !== null) result.streamId = streamId;
	const passphrase = q.get('passphrase');
	if (passphrase !== null) {
		validatePassphrase(passphrase);
		result.passphrase = passphrase;
	}
	const latency = q.get('latency') ?? q.get('rcvlatency');
	if (latency !== null) result.latencyMs = integer('latency (ms)', latency, 0, 65535);
	const pbkeylen = q.get('pbkeylen');
	if (pbkeylen !== null) {
		const n = integer('pbkeylen', pbkeylen, 0, 32);
		if (n !== 0) {
			if (!isKeyLength(n))
				throw new TapedeckError('invalid_argument', `srt:// pbkeylen must be 16, 24 or 32, got ${n}`);
			result.keyLength = n;
		}
	}
	const timeout = q.get('connect_timeout') ?? q.get('conntimeo');
	if (timeout !== null) result.connectTimeoutMs = integer('connect_timeout (ms)', timeout, 100, 120_000);
	return result;
};
