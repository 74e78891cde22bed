/**
 * Callaba's `input` object (`input_type`, `input_*` fields) and tapedeck's input model
 * (src/core/input-spec.ts), both ways. Callaba's `INPUT_TYPE_RTMP_SOFTWARE` (`_HARDWARE`) and
 * `INPUT_TYPE_SRT_SOFTWARE` (`_HARDWARE`) name a built-in listener (`input_module_id`) and a stream on
 * it (`input_stream_id`); the `_HARDWARE` variants are Callaba's hint for encoder-specific tuning and
 * record the same. `_LISTEN` types open a port of the job's own, `_URL` types pull.
 */
import { TapedeckError } from '../../core/errors.ts';
import {
	INPUT_PROTOCOLS,
	type InputCredentials,
	type InputProtocol,
	type InputSpec,
	maskInput,
} from '../../core/input-spec.ts';

/** Every `input_type` Callaba documents; the schema accepts them all, the engine says which work yet. */
export const INPUT_TYPES = [
	'INPUT_TYPE_SRT_SOFTWARE',
	'INPUT_TYPE_SRT_HARDWARE',
	'INPUT_TYPE_RTMP_SOFTWARE',
	'INPUT_TYPE_RTMP_HARDWARE',
	'INPUT_TYPE_SRT_LISTEN',
	'INPUT_TYPE_RTMP_LISTEN',
	'INPUT_TYPE_RTSP_LISTEN',
	'INPUT_TYPE_UDP_LISTEN',
	'INPUT_TYPE_HTTP_LISTEN',
	'INPUT_TYPE_SRT_URL',
	'INPUT_TYPE_RTMP_URL',
	'INPUT_TYPE_RTSP_URL',
	'INPUT_TYPE_UDP_URL',
	'INPUT_TYPE_HTTP_URL',
	'INPUT_TYPE_OTHER',
	'INPUT_TYPE_HLS_URL',
	'INPUT_TYPE_MPEG_DASH_URL',
	'INPUT_TYPE_GENERATE_TEST_VIDEO',
] as const;

export type InputType = (typeof INPUT_TYPES)[number];

/** Callaba's `input` object. Unknown keys are kept and echoed (Callaba lets clients add `module_name`…). */
export type CallabaInput = {
	readonly input_type: InputType;
	readonly input_module_id?: string;
	readonly input_stream_id?: string;
	readonly input_stream_url?: string;
	readonly input_stream_listen_port?: {
		readonly port: number;
		readonly transport?: 'UDP' | 'TCP';
		/** tapedeck: the address to bind (default the server's host), or a multicast group to join (UDP). */
		readonly address?: string;
	};
	/** tapedeck: SRT passphrase of a listen or URL input (10–80 bytes). */
	readonly passphrase?: string;
	/** tapedeck: who may publish to a listen input: a key (RTMP `?key=`, SRT `s=`, HTTP bearer), a user and password, source addresses. */
	readonly publish_key?: string;
	readonly user?: string;
	readonly password?: string;
	readonly allowed_sources?: readonly string[];
	/** tapedeck: SRT latency in ms. */
	readonly latency?: number;
	readonly [key: string]: unknown;
};

/** The protocol and direction each input type means. */
const MEANING: Readonly<Record<InputType, readonly [InputProtocol, InputSpec['direction']] | undefined>> = {
	INPUT_TYPE_SRT_SOFTWARE: ['srt', 'built-in'],
	INPUT_TYPE_SRT_HARDWARE: ['srt', 'built-in'],
	INPUT_TYPE_RTMP_SOFTWARE: ['rtmp', 'built-in'],
	INPUT_TYPE_RTMP_HARDWARE: ['rtmp', 'built-in'],
	INPUT_TYPE_SRT_LISTEN: ['srt', 'listen'],
	INPUT_TYPE_RTMP_LISTEN: ['rtmp', 'listen'],
	INPUT_TYPE_RTSP_LISTEN: ['rtsp', 'listen'],
	INPUT_TYPE_UDP_LISTEN: ['udp', 'listen'],
	INPUT_TYPE_HTTP_LISTEN: ['http', 'listen'],
	INPUT_TYPE_SRT_URL: ['srt', 'pull'],
	INPUT_TYPE_RTMP_URL: ['rtmp', 'pull'],
	INPUT_TYPE_RTSP_URL: ['rtsp', 'pull'],
	INPUT_TYPE_UDP_URL: ['udp', 'pull'],
	INPUT_TYPE_HTTP_URL: ['http', 'pull'],
	// Any URL: its scheme says the protocol.
	INPUT_TYPE_OTHER: undefined,
	INPUT_TYPE_HLS_URL: ['hls', 'pull'],
	INPUT_TYPE_MPEG_DASH_URL: ['dash', 'pull'],
	INPUT_TYPE_GENERATE_TEST_VIDEO: ['testsrc', 'pull'],
};

/** The keys this module reads; any other key of `input` is kept as the client sent it. */
const KNOWN_KEYS = new Set([
	'input_type',
	'input_module_id',
	'input_stream_id',
	'input_stream_url',
	'input_stream_listen_port',
	'passphrase',
	'publish_key',
	'user',
	'password',
	'allowed_sources',
	'latency',
]);

/** The input types that may name a built-in listener of `protocol` (none for RTSP: Callaba has no such type). */
export const builtInInputTypes = (protocol: string): InputType[] =>
	INPUT_TYPES.filter((type) => MEANING[type]?.[0] === protocol && MEANING[type]?.[1] === 'built-in');

/**
 * Callaba's `input` in tapedeck's words. A `_URL` type sent with a listen port and no URL listens
 * (Callaba's own SRT listen example is `INPUT_TYPE_SRT_URL` with `input_stream_listen_port`).
 */
export const toInputSpec = (input: CallabaInput): InputSpec => {
	const url = nonEmpty(input.input_stream_url);
	const meaning = MEANING[input.input_type] ?? [protocolOfUrl(input.input_type, url), 'pull'];
	const [protocol] = meaning;
	const listen = input.input_stream_listen_port;
	const direction = meaning[1] === 'pull' && url === undefined && listen ? 'listen' : meaning[1];
	const credentials = credentialsOf(input);
	const options = input.latency === undefined ? undefined : { latencyMs: input.latency };
	const common = {
		protocol,
		direction,
		...(credentials ? { credentials } : {}),
		...(options ? { options } : {}),
	} as const;
	switch (direction) {
		case 'built-in':
			if (!nonEmpty(input.input_module_id)) {
				throw new TapedeckError(
					'invalid_argument',
					`input.input_module_id is required for ${input.input_type}: the id of a built-in listener (see modules in /api/utils/getStat)`,
				);
			}
			return { ...common, module: input.input_module_id, stream: input.input_stream_id ?? '' };
		case 'listen':
			if (!listen) {
				throw new TapedeckError(
					'invalid_argument',
					`input.input_stream_listen_port.port is required for ${input.input_type}: an integer 1-65535`,
				);
			}
			return {
				...common,
				address: {
					port: listen.port,
					...(listen.address === undefined ? {} : { host: listen.address }),
					...(listen.transport === undefined ? {} : { transport: listen.transport === 'UDP' ? 'udp' : 'tcp' }),
				},
			};
		default:
			if (url === undefined && protocol !== 'testsrc') {
				throw new TapedeckError('invalid_argument', `input.input_stream_url is required for ${input.input_type}`);
			}
			return { ...common, ...(url === undefined ? {} : { url }) };
	}
};

/** The keys of `input` the model does not hold, kept to echo them back. */
export const unknownInputKeys = (input: CallabaInput): Record<string, unknown> =>
	Object.fromEntries(Object.entries(input).filter(([key]) => !KNOWN_KEYS.has(key)));

/** tapedeck's input in Callaba's words, secrets masked unless `mask` is false; `inputType` is the type the client sent. */
export const toCallabaInput = (
	spec: InputSpec,
	inputType: InputType | undefined,
	unknownKeys: Readonly<Record<string, unknown>> = {},
	{ mask = true }: { readonly mask?: boolean } = {},
): CallabaInput => {
	const shown = mask ? maskInput(spec) : spec;
	const type =
		inputType ??
		INPUT_TYPES.find((t) => MEANING[t]?.[0] === spec.protocol && MEANING[t]?.[1] === spec.direction) ??
		'INPUT_TYPE_OTHER';
	const address = shown.address;
	return {
		...unknownKeys,
		input_type: type,
		...(shown.module === undefined ? {} : { input_module_id: shown.module }),
		...(shown.stream === undefined ? {} : { input_stream_id: shown.stream }),
		...(shown.url === undefined ? {} : { input_stream_url: shown.url }),
		...(address === undefined
			? {}
			: {
					input_stream_listen_port: {
						port: address.port,
						...(address.transport === undefined ? {} : { transport: address.transport === 'udp' ? 'UDP' : 'TCP' }),
						...(address.host === undefined ? {} : { address: address.host }),
					},
				}),
		...(shown.credentials?.passphrase === undefined ? {} : { passphrase: shown.credentials.passphrase }),
		...(shown.credentials?.key === undefined ? {} : { publish_key: shown.credentials.key }),
		...(shown.credentials?.user === undefined ? {} : { user: shown.credentials.user }),
		...(shown.credentials?.password === undefined ? {} : { password: shown.credentials.password }),
		...(shown.credentials?.sources === undefined ? {} : { allowed_sources: shown.credentials.sources }),
		...(typeof spec.options?.['latencyMs'] === 'number' ? { latency: spec.options['latencyMs'] } : {}),
	};
};

/** The secrets and publisher checks of `input` in the model's words; undefined when it carries none. */
const credentialsOf = (input: CallabaInput): InputCredentials | undefined => {
	const credentials: InputCredentials = {
		...(input.passphrase === undefined ? {} : { passphrase: input.passphrase }),
		...(input.publish_key === undefined ? {} : { key: input.publish_key }),
		...(input.user === undefined ? {} : { user: input.user }),
		...(input.password === undefined ? {} : { password: input.password }),
		...(input.allowed_sources === undefined ? {} : { sources: input.allowed_sources }),
	};
	return Object.keys(credentials).length > 0 ? credentials : undefined;
};

/** The protocol an `INPUT_TYPE_OTHER` URL names by its scheme. */
const protocolOfUrl = (type: InputType, url: string | undefined): InputProtocol => {
	const scheme = url === undefined ? '' : (/^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '');
	const protocol = scheme === 'https' ? 'http' : scheme;
	if ((INPUT_PROTOCOLS as readonly string[]).includes(protocol)) return protocol as InputProtocol;
	throw new TapedeckError(
		'unsupported',
		`${type} needs an input_stream_url whose scheme tapedeck reads (srt, rtmp, rtsp, udp, http); got ${JSON.stringify(url ?? '')}`,
	);
};

const nonEmpty = (value: string | undefined): string | undefined =>
	value === undefined || value === '' ? undefined : value;
