/**
 * SRT stream IDs (SRT access-control guidelines, `docs/features/access-control.md` in libsrt):
 * either the structured form `#!::key=value,key=value` with `r` resource, `m` mode
 * (request/publish/bidirectional), `u` user, `s` session, `h` host, `t` type; or any other text,
 * which we take as the resource itself (`app/stream`, `live/stream`, `vhost/app/stream`). MediaMTX's
 * `publish:app/stream[:user:password]` (or `read:`) is read too. A publish key travels as `s`
 * (`#!::r=live/cam,m=publish,s=<key>`), with `u` when it is a user's password.
 */
import { TapedeckError } from '../../src/core/errors.ts';
import { DEFAULT_VHOST, type StreamKey } from '../../src/core/stream-hub.ts';

export type StreamMode = 'publish' | 'request' | 'bidirectional';

export type ParsedStreamId = {
	resource: string;
	mode: StreamMode;
	/** Every `key=value` of the structured form (plus `r` for the plain form): handed to the auth hook. */
	fields: Record<string, string>;
};

const STRUCTURED_PREFIX = '#!::';
const MODES: readonly string[] = ['publish', 'request', 'bidirectional'];

/** MediaMTX: `action:path[:user:password]`. */
const MEDIAMTX_FORM = /^(publish|read):([^:]*)(?::([^:]*):(.*))?$/;

export const parseStreamId = (streamId: string): ParsedStreamId => {
	const mediamtx = MEDIAMTX_FORM.exec(streamId);
	if (mediamtx) {
		const [, action, resource = '', user, password] = mediamtx;
		const fields: Record<string, string> = { r: resource };
		if (user !== undefined && password !== undefined) Object.assign(fields, { u: user, s: password });
		return { resource, mode: action === 'read' ? 'request' : 'publish', fields };
	}
	if (!streamId.startsWith(STRUCTURED_PREFIX)) {
		// `r=app/stream` without the prefix is a common mistake; read it like the structured form.
		if (/^[a-z]=/.test(streamId)) return parseStreamId(STRUCTURED_PREFIX + streamId);
		return { resource: streamId, mode: 'publish', fields: { r: streamId } };
	}
	const fields: Record<string, string> = {};
	for (const entry of streamId.slice(STRUCTURED_PREFIX.length).split(',')) {
		if (entry === '') continue;
		const eq = entry.indexOf('=');
		if (eq <= 0) throw new TapedeckError('invalid_argument', `stream id entry "${entry}" is not key=value`);
		fields[entry.slice(0, eq)] = entry.slice(eq + 1);
	}
	const mode = fields.m ?? 'publish';
	if (!MODES.includes(mode))
		throw new TapedeckError('invalid_argument', `stream id mode m=${mode} is not one of ${MODES.join(', ')}`);
	return { resource: fields.r ?? '', mode: mode as StreamMode, fields };
};

/**
 * Maps a resource onto the bus: `app/stream` → default/app/stream; a longer path keeps its last two
 * components (the first ones name a host in srt-live-server style `host/app/stream`); a bare name
 * goes to `defaultApp`; no name at all to `defaultStream` when there is one (a per-recording port).
 */
export const streamKeyFromResource = (resource: string, defaultApp = 'live', defaultStream?: string): StreamKey => {
	const parts = resource.split('/').filter((p) => p !== '');
	const stream = parts.at(-1) ?? defaultStream;
	if (stream === undefined)
		throw new TapedeckError('invalid_argument', `stream id resource "${resource}" names no stream`);
	return { vhost: DEFAULT_VHOST, app: parts.length > 1 ? (parts.at(-2) ?? defaultApp) : defaultApp, stream };
};
