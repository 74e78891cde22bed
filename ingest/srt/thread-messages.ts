/**
 * The messages between the main thread and the SRT thread (`srt-worker.ts`). SRT's timing (ACK every
 * 10 ms, NAK on each gap, TSBPD delivery) and its UDP reading run on their own thread, as libsrt's do,
 * so a busy main thread (demuxing, muxing, file writes, its garbage collector) never lets a socket's
 * receive queue overflow or a retransmission miss its delivery time. The main thread keeps every
 * decision that needs the rest of the server: who may publish, passphrases, demuxers, publishers.
 *
 * Every message travels on one port, in order: a session's payloads always arrive before its close.
 */
import type { Handshake } from './handshake.ts';
import type { StreamKeys } from './key-material.ts';
import type { SrtStats } from './srt-connection.ts';

/** An SRT listener or caller hosted by the SRT thread, named by the main thread. */
export type EndpointId = number;

export type ListenConfig = { port: number; host: string; latencyMs: number };

export type CallConfig = { url: string; retryMinMs: number; retryMaxMs: number };

/** The main thread's answer to a caller that completed the handshake's conclusion. */
export type Verdict =
	| { readonly reject: number }
	| {
			readonly accept: {
				/** Kept by the connection to open key-material refreshes. */
				readonly passphrase?: string;
				readonly keys?: StreamKeys;
			};
	  };

export type CallerState = 'connecting' | 'connected' | 'waiting';

export type ToSrtThread =
	| { op: 'listen'; endpoint: EndpointId; config: ListenConfig }
	| { op: 'call'; endpoint: EndpointId; config: CallConfig }
	| { op: 'verdict'; endpoint: EndpointId; request: number; verdict: Verdict }
	/** Ends one connection (its payloads still arrive first); a caller reconnects after it. */
	| { op: 'close-session'; endpoint: EndpointId; socketId: number; reason: string }
	/** Stops a listener or caller; answered by `closed` after every session's last payload. */
	| { op: 'close'; endpoint: EndpointId }
	/** A payload batch the main thread is done with, for reuse. */
	| { op: 'recycle'; buffer: ArrayBuffer };

export type FromSrtThread =
	/** Bound; the socket's receive buffer as the kernel reports it (twice what it granted). */
	| { op: 'listening'; endpoint: EndpointId; receiveBufferBytes: number }
	| { op: 'failed'; endpoint: EndpointId; message: string }
	/** A caller's conclusion passed the cookie check: the main thread decides (`verdict`). */
	| {
			op: 'admit';
			endpoint: EndpointId;
			request: number;
			handshake: Handshake;
			remoteAddress: string;
			remotePort: number;
	  }
	/** An accepted caller's connection is up (`request` undefined for our own caller's connection). */
	| {
			op: 'opened';
			endpoint: EndpointId;
			request: number | undefined;
			socketId: number;
			remoteAddress: string;
			remotePort: number;
			stats: SrtStats;
	  }
	/** An accepted request the thread could not complete (the listener stopped meanwhile). */
	| { op: 'dismissed'; endpoint: EndpointId; request: number }
	/** Delivered payloads of any number of connections (layout: `payload-batch.ts`), `length` bytes used. */
	| { op: 'payloads'; buffer: ArrayBuffer; length: number }
	/** Figures of every open connection, sent a few times a second. */
	| { op: 'stats'; entries: [EndpointId, number, SrtStats][] }
	| { op: 'session-closed'; endpoint: EndpointId; socketId: number; reason: string; stats: SrtStats }
	| { op: 'caller-state'; endpoint: EndpointId; state: CallerState; lastError: string | undefined }
	| { op: 'closed'; endpoint: EndpointId };
