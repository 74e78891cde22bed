import { TapedeckError } from '../../src/core/errors.ts';

/**
 * Session Description Protocol (RFC 4566) as RTSP uses it: the media lines, their RTP payload
 * formats (a=rtpmap, a=fmtp) and control URLs (RFC 2326 §C.1.1).
 */
export type RtpMap = { readonly encoding: string; readonly clockRate: number; readonly channels: number };

export type SdpMedia = {
	/** `video`, `audio`, `application`, … */
	readonly type: string;
	readonly port: number;
	/** `RTP/AVP`, `RTP/AVP/TCP`, … */
	readonly protocol: string;
	readonly payloadTypes: readonly number[];
	readonly control: string | undefined;
	readonly rtpmap: ReadonlyMap<number, RtpMap>;
	/** Per payload type: parameter names lower-cased, values as written. */
	readonly fmtp: ReadonlyMap<number, ReadonlyMap<string, string>>;
	/** `a=framerate` when given. */
	readonly frameRate: number | undefined;
};

export type SessionDescription = {
	readonly control: string | undefined;
	readonly media: readonly SdpMedia[];
};

/** Payload types with a fixed meaning (RFC 3551 §6); only the ones tapedeck can take. */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, RtpMap> = new Map([
	[14, { encoding: 'MPA', clockRate: 90_000, channels: 1 }],
	[33, { encoding: 'MP2T', clockRate: 90_000, channels: 1 }],
]);

const MAX_MEDIA = 16;

type MutableMedia = {
	type: string;
	port: number;
	protocol: string;
	payloadTypes: number[];
	control: string | undefined;
	rtpmap: Map<number, RtpMap>;
	fmtp: Map<number, Map<string, string>>;
	frameRate: number | undefined;
};

export const parseSdp = (text: string): SessionDescription => {
	const lines = text.split(/\r?\n/);
	if (!lines[0]?.startsWith('v=')) {
		throw new TapedeckError(
			'corrupt_input',
			`SDP must start with a v= line, got ${JSON.stringify(lines[0]?.slice(0, 40))}`,
		);
	}
	let sessionControl: string | undefined;
	const media: MutableMedia[] = [];
	for (const line of lines) {
		if (line.length < 2 || line[1] !== '=') continue;
		const value = line.slice(2).trim();
		const current = media[media.length - 1];
		if (line[0] === 'm') {
			if (media.length === MAX_MEDIA) throw new TapedeckError('corrupt_input', `SDP has more than ${MAX_MEDIA} media`);
			media.push(parseMediaLine(value));
		} else if (line[0] === 'a') {
			const colon = value.indexOf(':');
			const name = (colon < 0 ? value : value.slice(0, colon)).toLowerCase();
			const attribute = colon < 0 ? '' : value.slice(colon + 1).trim();
			if (name === 'control') {
				if (current) current.control = attribute;
				else sessionControl = attribute;
			} else if (current) {
				parseMediaAttribute(current, name, attribute);
			}
		}
	}
	for (const m of media) {
		for (const pt of m.payloadTypes) {
			const known = STATIC_PAYLOAD_TYPES.get(pt);
			if (known && !m.rtpmap.has(pt)) m.rtpmap.set(pt, known);
		}
	}
	return { control: sessionControl, media };
};

const parseMediaLine = (value: string): MutableMedia => {
	// m=<media> <port>[/<count>] <proto> <fmt> …
	const [type = '', port = '', protocol = '', ...formats] = value.split(/\s+/);
	return {
		type: type.toLowerCase(),
		port: Number.parseInt(port, 10) || 0,
		protocol,
		payloadTypes: formats.map(Number).filter((pt) => Number.isInteger(pt) && pt >= 0 && pt < 128),
		control: undefined,
		rtpmap: new Map(),
		fmtp: new Map(),
		frameRate: undefined,
	};
};

const parseMediaAttribute = (media: MutableMedia, name: string, value: string): void => {
	if (name === 'rtpmap') {
		// a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]
		const match = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(value);
		if (!match) return;
		const clockRate = Number(match[3]);
		if (clockRate <= 0) return;
		media.rtpmap.set(Number(match[1]), {
			encoding: match[2]!.toUpperCase(),
			clockRate,
			channels: match[4] ? Number(match[4]) : 1,
		});
	} else if (name === 'fmtp') {
		// a=fmtp:<pt> name=value; name=value …
		const match = /^(\d+)\s+(.*)$/.exec(value);
		if (!match) return;
		const parameters = new Map<string, string>();
		for (const part of match[2]!.split(';')) {
			const eq = part.indexOf('=');
			if (eq <= 0) continue;
			parameters.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
		}
		media.fmtp.set(Number(match[1]), parameters);
	} else if (name === 'framerate') {
		const rate = Number(value);
		if (rate > 0 && rate < 1000) media.frameRate = rate;
	}
};

/**
 * The URL a SETUP for `control` goes to (RFC 2326 §C.1.1): absolute as is, `*` or none is the
 * base itself, otherwise relative to the base. Servers and clients in the wild append with a `/`
 * rather than resolving RFC 3986-style (which would drop the base's last segment), so this does too.
 */
export const resolveControl = (base: string, control: string | undefined): string => {
	if (control === undefined || control === '' || control === '*') return base;
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(control)) return control;
	return base.endsWith('/') ? base + control : `${base}/${control}`;
};

/** The base URL of a DESCRIBE/ANNOUNCE: Content-Base, else Content-Location, else the request URL; then a session-level absolute control. */
export const contentBase = (
	requestUrl: string,
	headers: { get(name: string): string | undefined },
	sdp: SessionDescription,
): string => {
	const base = headers.get('content-base') ?? headers.get('content-location') ?? requestUrl;
	return sdp.control && /^[a-z][a-z0-9+.-]*:\/\//i.test(sdp.control) ? sdp.control : base;
};
