/**
 * The Transport header (RFC 2326 §12.39): `RTP/AVP[/UDP|/TCP];unicast;client_port=a-b;…` or
 * `RTP/AVP/TCP;interleaved=a-b`, several comma-separated offers in a request.
 */
export type TransportSpec = {
	/** `RTP/AVP/TCP` → tcp; `RTP/AVP` or `RTP/AVP/UDP` → udp. */
	readonly lower: 'tcp' | 'udp';
	readonly profile: string;
	readonly multicast: boolean;
	readonly interleaved?: readonly [number, number];
	readonly clientPort?: readonly [number, number];
	readonly serverPort?: readonly [number, number];
	readonly ssrc?: string;
	/** `record` or `play`, lower-cased. */
	readonly mode?: string;
};

export const parseTransports = (header: string): TransportSpec[] =>
	header
		.split(',')
		.map((offer) => parseTransport(offer))
		.filter((t): t is TransportSpec => t !== undefined);

const parseTransport = (offer: string): TransportSpec | undefined => {
	const [protocol = '', ...parameters] = offer.trim().split(';');
	const parts = protocol.toUpperCase().split('/');
	if (parts[0] !== 'RTP' || parts[1] !== 'AVP') return undefined;
	const spec: {
		lower: 'tcp' | 'udp';
		profile: string;
		multicast: boolean;
		interleaved?: [number, number];
		clientPort?: [number, number];
		serverPort?: [number, number];
		ssrc?: string;
		mode?: string;
	} = { lower: parts[2] === 'TCP' ? 'tcp' : 'udp', profile: protocol.trim(), multicast: false };
	for (const parameter of parameters) {
		const eq = parameter.indexOf('=');
		const name = (eq < 0 ? parameter : parameter.slice(0, eq)).trim().toLowerCase();
		const value = eq < 0 ? '' : parameter.slice(eq + 1).trim();
		if (name === 'multicast') spec.multicast = true;
		else if (name === 'interleaved') spec.interleaved = parseRange(value, 255);
		else if (name === 'client_port') spec.clientPort = parseRange(value, 65535);
		else if (name === 'server_port') spec.serverPort = parseRange(value, 65535);
		else if (name === 'ssrc') spec.ssrc = value;
		else if (name === 'mode') spec.mode = value.replace(/"/g, '').toLowerCase();
	}
	return spec;
};

/** `a-b` or `a` (then b = a + 1); undefined when out of range. */
const parseRange = (value: string, max: number): [number, number] | undefined => {
	const [a, b] = value.split('-').map((v) => Number(v));
	if (a === undefined || !Number.isInteger(a) || a < 0 || a > max) return undefined;
	const second = b === undefined || Number.isNaN(b) ? a + 1 : b;
	if (!Number.isInteger(second) || second < 0 || second > max) return undefined;
	return [a, second];
};

export const formatTransport = (spec: TransportSpec): string => {
	const parts = [spec.lower === 'tcp' ? 'RTP/AVP/TCP' : 'RTP/AVP', spec.multicast ? 'multicast' : 'unicast'];
	if (spec.interleaved) parts.push(`interleaved=${spec.interleaved[0]}-${spec.interleaved[1]}`);
	if (spec.clientPort) parts.push(`client_port=${spec.clientPort[0]}-${spec.clientPort[1]}`);
	if (spec.serverPort) parts.push(`server_port=${spec.serverPort[0]}-${spec.serverPort[1]}`);
	if (spec.ssrc) parts.push(`ssrc=${spec.ssrc}`);
	if (spec.mode) parts.push(`mode=${spec.mode}`);
	return parts.join(';');
};
