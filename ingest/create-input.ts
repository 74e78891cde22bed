/**
 * The input of a recording as Callaba describes it (`input` of /api/recording/create), turned into the
 * IngestSource that feeds the recording's stream. Each protocol adds its own `case`.
 */
import type { ConnectionLimits } from '../src/core/connection-limits.ts';
import { TapedeckError } from '../src/core/errors.ts';
import { checkListenAddress, defaultNetworkPolicy, type NetworkPolicy } from '../src/core/network-policy.ts';
import type { IngestSource, StreamHub, StreamKey, StreamPublisher } from '../src/core/stream-hub.ts';
import { HttpListenSource } from './http/http-listen-source.ts';
import { HttpPullSource } from './http/http-pull-source.ts';
import { RtmpListener } from './rtmp/rtmp-listener.ts';
import { RtmpPuller } from './rtmp/rtmp-puller.ts';
import { RtspListener } from './rtsp/rtsp-listener.ts';
import { RtspPuller } from './rtsp/rtsp-puller.ts';
import { SinglePublisherHub } from './single-publisher-hub.ts';
import { SrtCaller } from './srt/srt-caller.ts';
import { SrtListener } from './srt/srt-listener.ts';
import { parseUdpUrl, UdpTsSource } from './udp/udp-ts-source.ts';

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

/** What an input needs besides its spec. */
export type InputContext = {
	/** The bus, for inputs that publish under their own keys. */
	readonly hub: StreamHub;
	/** The key `target` publishes to. */
	readonly key: StreamKey;
	/** Address listeners bind when the spec names none (the server's `--host`). */
	readonly listenHost: string;
	readonly log: (message: string) => void;
	/** What the job's listeners may bind and its pulls reach; default: `listenHost` and loopback, no redirects. */
	readonly network?: NetworkPolicy;
	/** Handshake and idle times, connections not publishing yet, for the job's own listeners. */
	readonly connections?: ConnectionLimits;
};

/**
 * The source for `input`, publishing into `target`; nothing is bound until `start()`. `target` may be
 * announced again after `end()`: each connection or burst of datagrams is a new session of the stream.
 */
export const createInput = (input: InputSpec, target: StreamPublisher, context: InputContext): IngestSource => {
	const network = context.network ?? defaultNetworkPolicy(context.listenHost);
	const limits = context.connections ? { connectionLimits: context.connections } : {};
	/** The address a listen input binds, once the policy allows it (before anything is bound). */
	const bindAddress = (listen: { readonly address?: string | undefined }): string => {
		const address = listen.address ?? context.listenHost;
		checkListenAddress(network, address);
		return address;
	};
	switch (input.input_type) {
		case 'INPUT_TYPE_UDP_LISTEN': {
			const listen = requireListenPort(input);
			return new UdpTsSource({ address: bindAddress(listen), port: listen.port }, target, context.log);
		}
		case 'INPUT_TYPE_UDP_URL': {
			const udp = parseUdpUrl(requireUrl(input));
			bindAddress(udp);
			return new UdpTsSource(udp, target, context.log);
		}
		case 'INPUT_TYPE_HTTP_LISTEN': {
			const listen = requireListenPort(input);
			const address = { host: bindAddress(listen), port: listen.port };
			return new HttpListenSource(address, target, context.log, context.connections);
		}
		case 'INPUT_TYPE_HTTP_URL':
			return new HttpPullSource(requireUrl(input), target, context.log, network);
		case 'INPUT_TYPE_SRT_URL':
			return new SrtCaller({ url: requireUrl(input), target });
		case 'INPUT_TYPE_SRT_LISTEN': {
			// Optional tapedeck keys: `passphrase` (10–80 bytes) and `latency` (ms) for this port.
			const listen = requireListenPort(input);
			return new SrtListener({
				hub: new SinglePublisherHub(target),
				host: bindAddress(listen),
				port: listen.port,
				defaultApp: context.key.app,
				defaultStream: context.key.stream,
				passphrase: typeof input.passphrase === 'string' ? input.passphrase : undefined,
				latencyMs: typeof input.latency === 'number' ? input.latency : undefined,
				...limits,
			});
		}
		case 'INPUT_TYPE_RTMP_URL':
			return new RtmpPuller(requireUrl(input), target, { log: context.log, network });
		case 'INPUT_TYPE_RTMP_LISTEN': {
			// Any app/stream pushed to this port feeds the recording, one publisher at a time.
			const listen = requireListenPort(input);
			return new RtmpListener({
				hub: new SinglePublisherHub(target),
				host: bindAddress(listen),
				port: listen.port,
				log: context.log,
				...limits,
			});
		}
		case 'INPUT_TYPE_RTSP_URL':
			return new RtspPuller({ url: requireUrl(input), target, log: context.log, network });
		case 'INPUT_TYPE_RTSP_LISTEN': {
			// Any app/stream announced on this port (ANNOUNCE + RECORD) feeds the recording, one publisher at a time.
			const listen = requireListenPort(input);
			return new RtspListener({
				hub: new SinglePublisherHub(target),
				host: bindAddress(listen),
				port: listen.port,
				log: context.log,
				...limits,
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
