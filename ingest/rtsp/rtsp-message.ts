/**
 * RTSP 1.0 messages (RFC 2326 §6–7): a start line, headers, an optional body sized by
 * Content-Length. Headers keep their order and spelling; look-ups ignore case, and a header may
 * repeat (WWW-Authenticate offers one challenge per scheme).
 */
export class RtspHeaders {
	readonly #entries: [string, string][] = [];

	constructor(entries: Iterable<readonly [string, string]> = []) {
		for (const [name, value] of entries) this.append(name, value);
	}

	get(name: string): string | undefined {
		const wanted = name.toLowerCase();
		return this.#entries.find(([n]) => n.toLowerCase() === wanted)?.[1];
	}

	getAll(name: string): string[] {
		const wanted = name.toLowerCase();
		return this.#entries.filter(([n]) => n.toLowerCase() === wanted).map(([, v]) => v);
	}

	/** Replaces every value of `name` with one. */
	set(name: string, value: string): this {
		this.delete(name);
		this.#entries.push([name, value]);
		return this;
	}

	append(name: string, value: string): this {
		this.#entries.push([name, value]);
		return this;
	}

	delete(name: string): void {
		const wanted = name.toLowerCase();
		for (let i = this.#entries.length - 1; i >= 0; i--) {
			if (this.#entries[i]![0].toLowerCase() === wanted) this.#entries.splice(i, 1);
		}
	}

	entries(): readonly (readonly [string, string])[] {
		return this.#entries;
	}
}

export type RtspRequest = {
	readonly kind: 'request';
	readonly method: string;
	readonly uri: string;
	readonly headers: RtspHeaders;
	readonly body: Uint8Array;
};

export type RtspResponse = {
	readonly kind: 'response';
	readonly status: number;
	readonly reason: string;
	readonly headers: RtspHeaders;
	readonly body: Uint8Array;
};

export type RtspMessage = RtspRequest | RtspResponse;

export const RTSP_VERSION = 'RTSP/1.0';

/** Reason phrases for the status codes tapedeck sends (RFC 2326 §7.1.1). */
export const REASONS: Readonly<Record<number, string>> = {
	200: 'OK',
	400: 'Bad Request',
	401: 'Unauthorized',
	403: 'Forbidden',
	404: 'Not Found',
	405: 'Method Not Allowed',
	409: 'Conflict',
	415: 'Unsupported Media Type',
	454: 'Session Not Found',
	455: 'Method Not Valid in This State',
	459: 'Aggregate Operation Not Allowed',
	461: 'Unsupported Transport',
	500: 'Internal Server Error',
	501: 'Not Implemented',
	503: 'Service Unavailable',
	505: 'RTSP Version Not Supported',
};

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

export const request = (
	method: string,
	uri: string,
	headers = new RtspHeaders(),
	body: Uint8Array = EMPTY,
): RtspRequest => ({
	kind: 'request',
	method,
	uri,
	headers,
	body,
});

export const response = (status: number, headers = new RtspHeaders(), body: Uint8Array = EMPTY): RtspResponse => ({
	kind: 'response',
	status,
	reason: REASONS[status] ?? 'Unknown',
	headers,
	body,
});

/** The wire form; Content-Length is set from the body. */
export const serializeMessage = (message: RtspMessage): Uint8Array => {
	const startLine =
		message.kind === 'request'
			? `${message.method} ${message.uri} ${RTSP_VERSION}`
			: `${RTSP_VERSION} ${message.status} ${message.reason}`;
	let head = `${startLine}\r\n`;
	for (const [name, value] of message.headers.entries()) {
		if (name.toLowerCase() !== 'content-length') head += `${name}: ${value}\r\n`;
	}
	if (message.body.length > 0) head += `Content-Length: ${message.body.length}\r\n`;
	head += '\r\n';
	const headBytes = encoder.encode(head);
	if (message.body.length === 0) return headBytes;
	const out = new Uint8Array(headBytes.length + message.body.length);
	out.set(headBytes);
	out.set(message.body, headBytes.length);
	return out;
};

/** An interleaved binary frame (RFC 2326 §10.12): `$`, channel, 16-bit length, data. */
export const interleavedFrame = (channel: number, data: Uint8Array): Uint8Array => {
	const out = new Uint8Array(4 + data.length);
	out[0] = 0x24;
	out[1] = channel;
	out[2] = data.length >> 8;
	out[3] = data.length & 0xff;
	out.set(data, 4);
	return out;
};

/** `Session: id;timeout=60` → id. */
export const sessionId = (headerValue: string | undefined): string | undefined =>
	headerValue?.split(';')[0]?.trim() || undefined;

/** `Session: id;timeout=60` → 60 (seconds), or undefined. */
export const sessionTimeout = (headerValue: string | undefined): number | undefined => {
	const match = /;\s*timeout\s*=\s*(\d+)/i.exec(headerValue ?? '');
	return match ? Number(match[1]) : undefined;
};
