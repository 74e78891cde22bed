/**
 * The input of a recording as Callaba describes it (`input` of /api/recording/create), turned into the
 * IngestSource that feeds the recording's stream. Each protocol adds its own `case`.
 */
import { TapedeckError } from '../src/core/errors.ts';
import type { IngestSource, PublishRequest, StreamHub, StreamKey, StreamPublisher } from '../src/core/stream-hub.ts';
import type { AdmissionCheck } from './admission-hold.ts';
import { HttpListenSource } from './http/http-listen-source.ts';
import { HttpPullSource } from './http/http-pull-source.ts';
import { RtmpListener } from './rtmp/rtmp-listener.ts';
import { RtmpPuller } from './rtmp/rtmp-puller.ts';
import { RtspListener } from './rtsp/rtsp-listener.ts';
import { RtspPuller } from './rtsp/rtsp-puller.ts';
import { SinglePublisherHub } from './single-publisher-hub.ts';
import { SrtCaller } from './srt/srt-caller.ts';
import { SrtListener } from './srt/srt-listener.ts';
import { isMulticast, parseUdpUrl, UdpTsSource } from './udp/udp-ts-source.ts';

/** Every `input_type` Callaba documents; the schema accepts them all, `createInput` says which work yet. */
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

/** Callaba's `input` object. Unknown keys are kept (protocol parameters a later input type may read). */
export type InputSpec = {
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
	readonly [key: string]: unknown;
};

/**
 * Who may publish into a recording's own listener: the publish policy's check of the credentials the
 * input carries (`publish_key`, `user`/`password`, `passphrase`, `allowed_sources`).
 */
export type InputAdmission = {
	authorize(request: PublishRequest): Promise<boolean>;
	/** Passwords a Digest answer from `user` may have been computed with (RTSP). */
	digestPasswords(user: string): readonly string[];
};

/** What an input needs besides its spec. */
export type InputContext = {
	/** The bus, for inputs that publish under their own keys. */
	readonly hub: StreamHub;
	/** The key `target` publishes to. */
	readonly key: StreamKey;
	/** Address listeners bind when the spec names none (the server's `--host`). */
	readonly listenHost: string;
	readonly log: (message: string) => void;
	/** The check of this input's own listener; none: anyone may publish to it. */
	readonly admission?: InputAdmission;
};

/**
 * The source for `input`, publishing into `target`; nothing is bound until `start()`. `target` may be
 * announced again after `end()`: each connection or burst of datagrams is a new session of the stream.
 */
export const createInput = (input: InputSpec, target: StreamPublisher, context: InputContext): IngestSource => {
	const { admission } = context;
	// Whatever app/stream a publisher names on a recording's own port, it publishes the recording's stream.
	const authorize = admission && ((request: PublishRequest) => admission.authorize({ ...request, key: context.key }));
	const check = (protocol: string): AdmissionCheck | undefined =>
		authorize &&
		((remoteAddress, credentials) => authorize({ key: context.key, protocol, remoteAddress, credentials }));
	const digestPasswords = admission && ((_key: StreamKey, user: string) => admission.digestPasswords(user));
	switch (input.input_type) {
		case 'INPUT_TYPE_UDP_LISTEN': {
			const listen = requireListenPort(input);
			const endpoint = { address: listen.address ?? context.listenHost, port: listen.port };
			return new UdpTsSource(endpoint, target, context.log, check('udp'));
		}
		case 'INPUT_TYPE_UDP_URL': {
			// Joining a multicast group is a pull of a chosen feed; a unicast port takes whoever sends, so it is checked.
			const endpoint = parseUdpUrl(requireUrl(input));
			return new UdpTsSource(endpoint, target, context.log, isMulticast(endpoint.address) ? undefined : check('udp'));
		}
		case 'INPUT_TYPE_HTTP_LISTEN': {
			const listen = requireListenPort(input);
			const endpoint = { host: listen.address ?? context.listenHost, port: listen.port };
			return new HttpListenSource(endpoint, target, context.log, check('http'));
		}
		case 'INPUT_TYPE_HTTP_URL':
			return new HttpPullSource(requireUrl(input), target, context.log);
		case 'INPUT_TYPE_SRT_URL':
			return new SrtCaller({ url: requireUrl(input), target });
		case 'INPUT_TYPE_SRT_LISTEN': {
			// Optional tapedeck keys: `passphrase` (10–80 bytes) and `latency` (ms) for this port.
			const listen = requireListenPort(input);
			return new SrtListener({
				hub: new SinglePublisherHub(target, authorize),
				host: listen.address ?? context.listenHost,
				port: listen.port,
				defaultApp: context.key.app,
				defaultStream: context.key.stream,
				passphrase: typeof input.passphrase === 'string' ? input.passphrase : undefined,
				latencyMs: typeof input.latency === 'number' ? input.latency : undefined,
			});
		}
		case 'INPUT_TYPE_RTMP_URL':
			return new RtmpPuller(requireUrl(input), target, { log: context.log });
		case 'INPUT_TYPE_RTMP_LISTEN': {
			// Any app/stream pushed to this port feeds the recording, one publisher at a time.
			const listen = requireListenPort(input);
			return new RtmpListener({
				hub: new SinglePublisherHub(target, authorize),
				host: listen.address ?? context.listenHost,
				port: listen.port,
				log: context.log,
			});
		}
		case 'INPUT_TYPE_RTSP_URL':
			return new RtspPuller({ url: requireUrl(input), target, log: context.log });
		case 'INPUT_TYPE_RTSP_LISTEN': {
			// Any app/stream announced on this port (ANNOUNCE + RECORD) feeds the recording, one publisher at a time.
			const listen = requireListenPort(input);
			return new RtspListener({
				hub: new SinglePublisherHub(target, authorize),
				host: listen.address ?? context.listenHost,
				port: listen.port,
				...(digestPasswords ? { digestPasswords } : {}),
			});
		}
		default:
			throw new TapedeckError('unsupported', `input type ${input.input_type} is not supported yet`);
	}
};

const requireListenPort = (input: InputSpec): NonNullable<InputSpec['input_stream_listen_port']> => {
	const listen = input.input_stream_listen_port;
	if (!listen || !Number.isInteger(listen.port) || listen.port < 1 || listen.port > 65535) {
		throw new TapedeckError(
			'invalid_argument',
			`input.input_stream_listen_port.port is required for ${input.input_type}: an integer 1-65535, got ${JSON.stringify(listen?.port)}`,
		);
	}
	return listen;
};

const requireUrl = (input: InputSpec): string => {
	const url = input.input_stream_url;
	if (typeof url !== 'string' || url === '') {
		throw new TapedeckError('invalid_argument', `input.input_stream_url is required for ${input.input_type}`);
	}
	return url;
};
