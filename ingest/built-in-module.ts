/**
 * The server's built-in listeners as inputs name them (`direction: 'built-in'`, src/core/input-spec.ts):
 * they have no input of their own; the recording subscribes to the bus stream the listener publishes.
 *
 * Module ids are stable and named after the protocol: `rtmp`, `srt`, `rtsp`, one per built-in
 * listener whose port is on (`serve --rtmp-port/--srt-port/--rtsp-port`; 0 turns one off).
 *
 * A stream name maps onto the bus as the listener itself maps what a publisher sends:
 * `app/stream` → `default/app/stream`, a bare name → `default/live/<name>`; for SRT also the
 * stream id a caller sends (`#!::r=app/stream,m=publish`), for RTMP a key's `?query` is ignored.
 */
import { TapedeckError } from '../src/core/errors.ts';
import type { BuiltInModule } from '../src/core/input-spec.ts';
import type { StreamKey } from '../src/core/stream-hub.ts';
import { parseStreamId, streamKeyFromResource } from './srt/stream-id.ts';

/** App of a stream name without one, as the listeners publish a bare stream name. */
const DEFAULT_APP = 'live';

/**
 * The stream the built-in SRT listener publishes for a caller that sends no stream id (`live/default`),
 * and so what an input naming no stream on it records (SRT stream ids are optional).
 */
export const SRT_UNNAMED_STREAM = 'default';

/** The built-in listeners of a server whose ports are these (0 = off). */
export const builtInModules = (config: {
	readonly host: string;
	readonly rtmpPort: number;
	readonly srtPort: number;
	readonly rtspPort: number;
}): BuiltInModule[] => {
	const host = config.host.includes(':') ? `[${config.host}]` : config.host;
	const ports: ReadonlyArray<[BuiltInModule['protocol'], number]> = [
		['rtmp', config.rtmpPort],
		['srt', config.srtPort],
		['rtsp', config.rtspPort],
	];
	return ports
		.filter(([, port]) => port > 0)
		.map(([protocol, port]) => ({
			id: protocol,
			protocol,
			url: `${protocol}://${host}:${port}`,
			streamKey: (stream: string) => builtInStreamKey(protocol, stream),
		}));
};

/** The bus stream a built-in listener of `protocol` publishes for the stream name `stream`. */
export const builtInStreamKey = (protocol: BuiltInModule['protocol'], stream: string): StreamKey => {
	const name = stream.trim();
	if (name === '' && protocol === 'srt') return streamKeyFromResource('', DEFAULT_APP, SRT_UNNAMED_STREAM);
	if (name === '') {
		throw new TapedeckError(
			'invalid_argument',
			`the stream on the built-in ${protocol.toUpperCase()} listener is required: "app/stream" (a bare name means app "${DEFAULT_APP}")`,
		);
	}
	const resource = protocol === 'srt' ? parseStreamId(name).resource : name.replace(/\?.*$/, '');
	try {
		return streamKeyFromResource(resource, DEFAULT_APP);
	} catch {
		throw new TapedeckError('invalid_argument', `stream "${name}" names no stream`);
	}
};
