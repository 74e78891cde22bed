import { GrowableBuffer } from '../../src/bytes/growable-buffer.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { RTSP_VERSION, RtspHeaders, type RtspMessage } from './rtsp-message.ts';

/** What a reader hands out, in stream order. */
export interface RtspReaderHandler {
	message(message: RtspMessage): void;
	/** An interleaved frame; `data` is a view valid only during the call. */
	interleaved(channel: number, data: Uint8Array): void;
}

export type RtspReaderLimits = {
	/** Longest start line + headers, terminator included. */
	readonly maxHeaderBytes: number;
	/** Largest Content-Length accepted (an SDP is a few KiB). */
	readonly maxBodyBytes: number;
};

export const DEFAULT_RTSP_LIMITS: RtspReaderLimits = { maxHeaderBytes: 16_384, maxBodyBytes: 262_144 };

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;
const decoder = new TextDecoder('utf-8');

/**
 * Splits one TCP stream into RTSP messages and interleaved `$` frames (RFC 2326 §10.12), bytes in
 * any split. Sizes are bounded; a message that breaks the grammar or the bounds throws a
 * TapedeckError('corrupt_input') and the reader is done (the connection should close).
 */
export class RtspReader {
	readonly #handler: RtspReaderHandler;
	readonly #limits: RtspReaderLimits;
	readonly #buffer = new GrowableBuffer(8192);
	#read = 0;
	#failed = false;

	constructor(handler: RtspReaderHandler, limits: RtspReaderLimits = DEFAULT_RTSP_LIMITS) {
		this.#handler = handler;
		this.#limits = limits;
	}

	push(chunk: Uint8Array): void {
		if (this.#failed) return;
		this.#buffer.append(chunk);
		try {
			while (this.#next()) {}
		} catch (error) {
			this.#failed = true;
			throw error;
		}
		this.#compact();
	}

	/** Parses one unit at the read position; false when more bytes are needed. */
	#next(): boolean {
		const bytes = this.#buffer.bytes;
		const end = this.#buffer.length;
		while (this.#read < end && (bytes[this.#read] === CR || bytes[this.#read] === LF)) this.#read++;
		if (this.#read >= end) return false;
		if (bytes[this.#read] === DOLLAR) {
			if (end - this.#read < 4) return false;
			const channel = bytes[this.#read + 1]!;
			const length = (bytes[this.#read + 2]! << 8) | bytes[this.#read + 3]!;
			if (end - this.#read < 4 + length) return false;
			const start = this.#read + 4;
			this.#read = start + length;
			this.#handler.interleaved(channel, bytes.subarray(start, start + length));
			return true;
		}
		const headEnd = findHeadEnd(bytes, this.#read, Math.min(end, this.#read + this.#limits.maxHeaderBytes));
		if (headEnd < 0) {
			if (end - this.#read >= this.#limits.maxHeaderBytes) {
				throw new TapedeckError(
					'corrupt_input',
					`RTSP message header is longer than ${this.#limits.maxHeaderBytes} bytes (no blank line found)`,
				);
			}
			return false;
		}
		const head = decoder.decode(bytes.subarray(this.#read, headEnd));
		const { message, bodyLength } = parseHead(head, this.#limits.maxBodyBytes);
		const bodyStart = skipTerminator(bytes, headEnd);
		if (end - bodyStart < bodyLength) return false;
		const body = bytes.slice(bodyStart, bodyStart + bodyLength);
		this.#read = bodyStart + bodyLength;
		this.#handler.message({ ...message, body });
		return true;
	}

	#compact(): void {
		const remaining = this.#buffer.length - this.#read;
		if (this.#read > 0) {
			this.#buffer.bytes.copyWithin(0, this.#read, this.#buffer.length);
			this.#buffer.length = remaining;
			this.#read = 0;
		}
	}
}

/** Index of the blank line ending the head (`\r\n\r\n` or a bare `\n\n`), or −1. */
const findHeadEnd = (bytes: Uint8Array, from: number, end: number): number => {
	for (let i = from; i < end; i++) {
		if (bytes[i] !== LF) continue;
		if (bytes[i + 1] === LF) return i;
		if (bytes[i + 1] === CR && bytes[i + 2] === LF) return i;
	}
	return -1;
};

/** From the `\n` ending the last header line, past the blank line. */
const skipTerminator = (bytes: Uint8Array, at: number): number => (bytes[at + 1] === CR ? at + 3 : at + 2);

type Head = { message: RtspMessage; bodyLength: number };

const parseHead = (head: string, maxBody: number): Head => {
	const lines = head.split(/\r?\n/);
	const startLine = lines[0] ?? '';
	const headers = new RtspHeaders();
	for (let i = 1; i < lines.length; i++) {
		const line = lines[i]!;
		if (line === '') continue;
		if ((line.startsWith(' ') || line.startsWith('\t')) && headers.entries().length > 0) {
			// Folded continuation line (RFC 2326 §4 borrows HTTP/1.1 LWS rules).
			const last = headers.entries()[headers.entries().length - 1]!;
			headers.set(last[0], `${last[1]} ${line.trim()}`);
			continue;
		}
		const colon = line.indexOf(':');
		if (colon <= 0) throw new TapedeckError('corrupt_input', `RTSP header line has no name: ${clip(line)}`);
		headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
	}
	const lengthHeader = headers.get('content-length');
	const bodyLength = lengthHeader === undefined ? 0 : Number(lengthHeader);
	if (!Number.isInteger(bodyLength) || bodyLength < 0 || bodyLength > maxBody) {
		throw new TapedeckError(
			'corrupt_input',
			`RTSP Content-Length must be 0–${maxBody}, got ${clip(lengthHeader ?? '')}`,
		);
	}
	const empty = new Uint8Array(0);
	const parts = startLine.split(' ');
	if (startLine.startsWith('RTSP/')) {
		const status = Number(parts[1]);
		if (parts[0] !== RTSP_VERSION || !Number.isInteger(status) || status < 100 || status > 999) {
			throw new TapedeckError(
				'corrupt_input',
				`RTSP status line must be "RTSP/1.0 <code> <reason>": ${clip(startLine)}`,
			);
		}
		return {
			message: { kind: 'response', status, reason: parts.slice(2).join(' '), headers, body: empty },
			bodyLength,
		};
	}
	const [method, uri, version] = parts;
	if (parts.length !== 3 || !method || !uri || !/^[A-Z_]+$/.test(method) || !version?.startsWith('RTSP/')) {
		throw new TapedeckError('corrupt_input', `RTSP request line must be "METHOD uri RTSP/1.0": ${clip(startLine)}`);
	}
	return { message: { kind: 'request', method, uri, headers, body: empty }, bodyLength };
};

const clip = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
