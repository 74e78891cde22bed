/**
 * The server's built-in listeners as Callaba inputs name them. Callaba's `INPUT_TYPE_RTMP_SOFTWARE`
 * (`_HARDWARE`) and `INPUT_TYPE_SRT_SOFTWARE` (`_HARDWARE`) have no input of their own: they name a
 * listener module (`input_module_id`) and a stream on it (`input_stream_id`), and the recording
 * subscribes to the bus stream that listener publishes.
 *
 * Module ids are stable and named after the protocol: `rtmp`, `srt`, `rtsp`, one per built-in
 * listener whose port is on (`serve --rtmp-port/--srt-port/--rtsp-port`; 0 turns one off). They
 * are listed under `modules` in `/api/utils/getStat`. Callaba has no built-in RTSP input type, so
 * `rtsp` is listed but no input type names it yet.
 *
 * `input_stream_id` maps onto the bus as the listener itself maps what a publisher sends:
 * `app/stream` → `default/app/stream`, a bare name → `default/live/<name>`; for SRT also the
 * stream id a caller sends (`#!::r=app/stream,m=publish`), for RTMP a key's `?query` is ignored.
 * The `_HARDWARE` variants are Callaba's hint for encoder-specific tuning; they record the same.
 */
import { TapedeckError } from '../src/core/errors.ts';
import type { StreamKey } from '../src/core/stream-hub.ts';
import type { InputSpec, InputType } from './create-input.ts';
import { parseStreamId, streamKeyFromResource } from './srt/stream-id.ts';

export type BuiltInProtocol = 'rtmp' | 'srt' | 'rtsp';

/** One built-in listener: its module id, protocol and where publishers reach it. */
export type BuiltInModule = { readonly id: string; readonly protocol: BuiltInProtocol; readonly url: string };

/** The input types that name a built-in listener, and that listener's protocol. */
const BUILT_IN_INPUT_TYPES: Partial<Record<InputType, BuiltInProtocol>> = {
	INPUT_TYPE_RTMP_SOFTWARE: 'rtmp',
	INPUT_TYPE_RTMP_HARDWARE: 'rtmp',
	INPUT_TYPE_SRT_SOFTWARE: 'srt',
	INPUT_TYPE_SRT_HARDWARE: 'srt',
};

/** App of an `input_stream_id` without one, as the listeners publish a bare stream name. */
const DEFAULT_APP = 'live';

/** The built-in listeners of a server whose ports are these (0 = off). */
export const builtInModules = (config: {
	readonly host: string;
	readonly rtmpPort: number;
	readonly srtPort: number;
	readonly rtspPort: number;
}): BuiltInModule[] => {
	const host = config.host.includes(':') ? `[${config.host}]` : config.host;
	const ports: ReadonlyArray<[BuiltInProtocol, number]> = [
		['rtmp', config.rtmpPort],
		['srt', config.srtPort],
		['rtsp', config.rtspPort],
	];
	return ports
		.filter(([, port]) => port > 0)
		.map(([protocol, port]) => ({ id: protocol, protocol, url: `${protocol}://${host}:${port}` }));
};

/** The protocol of the built-in listener an input names, or undefined for an input of its own. */
export const builtInProtocolOf = (input: InputSpec): BuiltInProtocol | undefined =>
	BUILT_IN_INPUT_TYPES[input.input_type];

/** The input types that may name a built-in listener of `protocol` (none for RTSP: Callaba has no such type). */
export const builtInInputTypes = (protocol: BuiltInProtocol): InputType[] =>
	(Object.keys(BUILT_IN_INPUT_TYPES) as InputType[]).filter((type) => BUILT_IN_INPUT_TYPES[type] === protocol);

/** The bus stream a built-in input records; a TapedeckError when `input_stream_id` is missing or names no stream. */
export const builtInStreamKey = (input: InputSpec): StreamKey => {
	const protocol = builtInProtocolOf(input);
	const id = input.input_stream_id?.trim() ?? '';
	if (protocol === undefined || id === '') {
		throw new TapedeckError(
			'invalid_argument',
			`input.input_stream_id is required for ${input.input_type}: the stream published on the built-in listener, as "app/stream" (a bare name means app "${DEFAULT_APP}")`,
		);
	}
	const resource = protocol === 'srt' ? parseStreamId(id).resource : id.replace(/\?.*$/, '');
	try {
		return streamKeyFromResource(resource, DEFAULT_APP);
	} catch {
		throw new TapedeckError('invalid_argument', `input.input_stream_id "${id}" names no stream`);
	}
};

/**
 * The built-in listener a built-in input names: 404 (`not_found`) for an id no listener has,
 * 400 for a listener of another protocol.
 */
export const findBuiltInModule = (input: InputSpec, modules: readonly BuiltInModule[]): BuiltInModule => {
	const protocol = builtInProtocolOf(input);
	const id = input.input_module_id;
	const known = modules.length > 0 ? modules.map((m) => `"${m.id}"`).join(', ') : 'none (all turned off)';
	if (id === undefined || id === '') {
		throw new TapedeckError(
			'invalid_argument',
			`input.input_module_id is required for ${input.input_type}: the id of a built-in listener (${known})`,
		);
	}
	const module = modules.find((m) => m.id === id);
	if (!module) {
		throw new TapedeckError(
			'not_found',
			`input.input_module_id "${id}" is no built-in listener of this server; built-in listeners: ${known}`,
		);
	}
	if (module.protocol !== protocol) {
		throw new TapedeckError(
			'invalid_argument',
			`input.input_module_id "${id}" is the built-in ${module.protocol.toUpperCase()} listener; ${input.input_type} needs a ${String(protocol).toUpperCase()} one`,
		);
	}
	return module;
};
