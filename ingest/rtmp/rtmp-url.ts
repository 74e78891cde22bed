/**
 * RTMP addresses: `rtmp://host[:port]/app/stream[?query]`. As in ffmpeg, the app is the first path
 * segment and the stream ("play path") the rest, query included: servers read tokens from it.
 */
import { TapedeckError } from '../../src/core/errors.ts';

export const DEFAULT_RTMP_PORT = 1935;

export type RtmpUrl = {
	readonly host: string;
	readonly port: number;
	readonly app: string;
	/** The play path as sent in `play`/`publish`, with its query. */
	readonly stream: string;
	/** `rtmp://host:port/app`, sent in `connect`. */
	readonly tcUrl: string;
};

export const parseRtmpUrl = (url: string): RtmpUrl => {
	const match = /^rtmp:\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?\/([^/?#]+)\/([^#]+)$/i.exec(url);
	if (!match) {
		throw new TapedeckError('invalid_argument', `an RTMP URL is rtmp://host[:port]/app/stream, got "${url}"`);
	}
	const [, hostPart, portText, app, stream] = match as unknown as [string, string, string | undefined, string, string];
	const port = portText === undefined ? DEFAULT_RTMP_PORT : Number(portText);
	if (port < 1 || port > 65535) throw new TapedeckError('invalid_argument', `RTMP URL port ${port} outside 1-65535`);
	const host = hostPart.startsWith('[') ? hostPart.slice(1, -1) : hostPart;
	return { host, port, app, stream, tcUrl: `rtmp://${hostPart}:${port}/${app}` };
};

/** Splits `name?k=v&k2=v2` (an app or stream name as a publisher sends it) into the name and its parameters. */
export const splitQuery = (value: string): { name: string; query: Record<string, string> } => {
	const at = value.indexOf('?');
	if (at < 0) return { name: value, query: {} };
	// fromEntries defines own properties: a `__proto__` parameter stays data.
	return { name: value.slice(0, at), query: Object.fromEntries(new URLSearchParams(value.slice(at + 1))) };
};
