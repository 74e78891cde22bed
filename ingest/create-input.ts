/**
 * A recording's input of its own (`listen` or `pull`, src/core/input-spec.ts) turned into the
 * IngestSource that feeds the recording's stream. Each protocol adds its own `case`.
 */
import { TapedeckError } from '../src/core/errors.ts';
import type { InputContext, InputSpec } from '../src/core/input-spec.ts';
import { checkListenAddress, defaultNetworkPolicy } from '../src/core/network-policy.ts';
import type { IngestSource, PublishRequest, StreamKey, StreamPublisher } from '../src/core/stream-hub.ts';
import type { AdmissionCheck } from './admission-hold.ts';
import { HttpListenSource } from './http/http-listen-source.ts';
import { HttpPullSource } from './http/http-pull-source.ts';
import { PolicedPull } from './policed-pull.ts';
import { RtmpListener } from './rtmp/rtmp-listener.ts';
import { RtmpPuller } from './rtmp/rtmp-puller.ts';
import { RtspListener } from './rtsp/rtsp-listener.ts';
import { RtspPuller } from './rtsp/rtsp-puller.ts';
import { SinglePublisherHub } from './single-publisher-hub.ts';
import { SrtCaller } from './srt/srt-caller.ts';
import { SrtListener } from './srt/srt-listener.ts';
import { isMulticast, parseUdpUrl, UdpTsSource } from './udp/udp-ts-source.ts';

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
	// Joining a multicast group is a pull of a chosen feed; a unicast port takes whoever sends, so it is checked.
	const udpCheck = (address: string): AdmissionCheck | undefined => (isMulticast(address) ? undefined : check('udp'));
	const listen = input.direction === 'listen';
	const network = context.network ?? defaultNetworkPolicy(context.listenHost);
	const limits = context.connections ? { connectionLimits: context.connections } : {};
	/** The address a listen input binds, once the policy allows it (before anything is bound). */
	const bindAddress = (host: string | undefined): string => {
		const address = host ?? context.listenHost;
		checkListenAddress(network, address);
		return address;
	};
	/** The input's pull, behind the destination check when the policy has an allow-list. */
	const pull = (make: (url: string) => IngestSource): IngestSource => {
		const url = requireUrl(input);
		const source = make(url);
		return network.pullAllow.length > 0 ? new PolicedPull(source, url, network) : source;
	};
	switch (`${input.protocol}/${input.direction}`) {
		case 'udp/listen': {
			const address = requireAddress(input);
			const endpoint = { address: bindAddress(address.host), port: address.port };
			return new UdpTsSource(endpoint, target, context.logger, udpCheck(endpoint.address));
		}
		case 'udp/pull': {
			const udp = parseUdpUrl(requireUrl(input));
			bindAddress(udp.address);
			return new UdpTsSource(udp, target, context.logger, udpCheck(udp.address));
		}
		case 'http/listen': {
			const address = requireAddress(input);
			const bound = { host: bindAddress(address.host), port: address.port };
			return new HttpListenSource(bound, target, context.logger, context.connections, check('http'));
		}
		case 'http/pull':
			return pull((url) => new HttpPullSource(url, target, context.logger, network));
		case 'srt/pull':
			return pull((url) => new SrtCaller({ url, target }));
		case 'srt/listen': {
			const address = requireAddress(input);
			const latency = input.options?.['latencyMs'];
			return new SrtListener({
				hub: new SinglePublisherHub(target, authorize),
				host: bindAddress(address.host),
				port: address.port,
				defaultApp: context.key.app,
				defaultStream: context.key.stream,
				passphrase: input.credentials?.passphrase,
				latencyMs: typeof latency === 'number' ? latency : undefined,
				...limits,
			});
		}
		case 'rtmp/pull':
			return pull((url) => new RtmpPuller(url, target, { logger: context.logger }));
		case 'rtmp/listen': {
			// Any app/stream pushed to this port feeds the recording, one publisher at a time.
			const address = requireAddress(input);
			return new RtmpListener({
				hub: new SinglePublisherHub(target, authorize),
				host: bindAddress(address.host),
				port: address.port,
				logger: context.logger,
				...limits,
			});
		}
		case 'rtsp/pull':
			return pull((url) => new RtspPuller({ url, target, logger: context.logger }));
		case 'rtsp/listen': {
			// Any app/stream announced on this port (ANNOUNCE + RECORD) feeds the recording, one publisher at a time.
			const address = requireAddress(input);
			return new RtspListener({
				hub: new SinglePublisherHub(target, authorize),
				host: bindAddress(address.host),
				port: address.port,
				logger: context.logger,
				...limits,
				...(digestPasswords ? { digestPasswords } : {}),
			});
		}
		default:
			throw new TapedeckError(
				'unsupported',
				`a ${input.protocol.toUpperCase()} input that ${listen ? 'listens' : input.direction === 'pull' ? 'pulls' : 'names a built-in listener'} is not supported yet`,
			);
	}
};

const requireAddress = (input: InputSpec): NonNullable<InputSpec['address']> => {
	const address = input.address;
	if (!address || !Number.isInteger(address.port) || address.port < 1 || address.port > 65535) {
		throw new TapedeckError(
			'invalid_argument',
			`a ${input.protocol.toUpperCase()} listen input needs a port: an integer 1-65535, got ${JSON.stringify(address?.port)}`,
		);
	}
	return address;
};

const requireUrl = (input: InputSpec): string => {
	const url = input.url;
	if (typeof url !== 'string' || url === '') {
		throw new TapedeckError('invalid_argument', `a ${input.protocol.toUpperCase()} pull input needs a URL`);
	}
	return url;
};
