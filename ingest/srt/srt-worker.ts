/**
 * The SRT thread's entry point: hosts every SRT listener and caller socket of the process (see
 * `thread-messages.ts` for why SRT runs here). One 5 ms tick drives every connection's timers and
 * hands the payloads they delivered to the main thread in one batch; payloads delivered outside a
 * tick (a closing connection's tail) follow at the end of the current event-loop turn.
 */
import { parentPort } from 'node:worker_threads';
import { PayloadBatchWriter } from './payload-batch.ts';
import { SrtCallerSocket } from './srt-caller-socket.ts';
import type { SrtStats } from './srt-connection.ts';
import { SrtListenerSocket } from './srt-listener-socket.ts';
import type { EndpointId, FromSrtThread, ToSrtThread } from './thread-messages.ts';

const TICK_MS = 5;
const STATS_MS = 250;

type Endpoint = SrtListenerSocket | SrtCallerSocket;

const port = parentPort;
if (port === null) throw new Error('srt-worker.ts runs as a worker thread');

const endpoints = new Map<EndpointId, Endpoint>();
const batch = new PayloadBatchWriter();
let flushScheduled = false;

const handOver = (buffer: ArrayBuffer, length: number): void =>
	port.postMessage({ op: 'payloads', buffer, length } satisfies FromSrtThread, [buffer]);

const flush = (): void => {
	flushScheduled = false;
	batch.take(handOver);
};

/** Control messages go after the payloads delivered before them. */
const post = (message: FromSrtThread): void => {
	flush();
	port.postMessage(message);
};

/** Payloads not handed over because the main thread held too much (`MAX_IN_FLIGHT_BYTES`), by `endpoint:socket`. */
const shed = new Map<string, number>();

/** A connection's figures with what was shed on the way to the main thread counted as dropped. */
const withShed = (endpoint: EndpointId, socketId: number, stats: SrtStats): SrtStats => {
	const count = shed.get(`${endpoint}:${socketId}`);
	return count === undefined ? stats : { ...stats, packetsDropped: stats.packetsDropped + count };
};

const payload = (endpoint: EndpointId, socketId: number, bytes: Uint8Array): void => {
	if (!batch.append(endpoint, socketId, bytes, handOver)) {
		const key = `${endpoint}:${socketId}`;
		shed.set(key, (shed.get(key) ?? 0) + 1);
		return;
	}
	if (!flushScheduled) {
		flushScheduled = true;
		setImmediate(flush);
	}
};

let timers: NodeJS.Timeout[] = [];

const tick = (): void => {
	for (const endpoint of endpoints.values()) endpoint.tick();
	flush();
};

const postStats = (): void => {
	const entries: [EndpointId, number, SrtStats][] = [];
	for (const [id, endpoint] of endpoints)
		endpoint.stats((socketId, stats) => entries.push([id, socketId, withShed(id, socketId, stats)]));
	if (entries.length > 0) post({ op: 'stats', entries });
};

/** The timers run only while an endpoint is open. */
const updateTimers = (): void => {
	if (endpoints.size > 0 && timers.length === 0)
		timers = [setInterval(tick, TICK_MS), setInterval(postStats, STATS_MS)];
	else if (endpoints.size === 0) {
		for (const timer of timers) clearInterval(timer);
		timers = [];
	}
};

const closed = (endpoint: EndpointId, socketId: number, reason: string, stats: SrtStats): void => {
	post({ op: 'session-closed', endpoint, socketId, reason, stats: withShed(endpoint, socketId, stats) });
	shed.delete(`${endpoint}:${socketId}`);
};

const listen = (endpoint: EndpointId, message: Extract<ToSrtThread, { op: 'listen' }>): void => {
	const socket = new SrtListenerSocket(message.config, {
		admit: (request, handshake, remote) =>
			post({ op: 'admit', endpoint, request, handshake, remoteAddress: remote.address, remotePort: remote.port }),
		opened: (request, socketId, remote, stats) =>
			post({
				op: 'opened',
				endpoint,
				request,
				socketId,
				remoteAddress: remote.address,
				remotePort: remote.port,
				stats,
			}),
		dismissed: (request) => post({ op: 'dismissed', endpoint, request }),
		payload: (socketId, bytes) => payload(endpoint, socketId, bytes),
		sessionClosed: (socketId, reason, stats) => closed(endpoint, socketId, reason, stats),
	});
	endpoints.set(endpoint, socket);
	updateTimers();
	socket.start().then(
		(receiveBufferBytes) => post({ op: 'listening', endpoint, receiveBufferBytes }),
		(error: Error) => {
			endpoints.delete(endpoint);
			updateTimers();
			post({ op: 'failed', endpoint, message: error.message });
		},
	);
};

const call = (endpoint: EndpointId, message: Extract<ToSrtThread, { op: 'call' }>): void => {
	let socket: SrtCallerSocket;
	try {
		socket = new SrtCallerSocket(message.config, {
			state: (state, lastError) => post({ op: 'caller-state', endpoint, state, lastError }),
			opened: (socketId, stats) =>
				post({ op: 'opened', endpoint, request: undefined, socketId, remoteAddress: '', remotePort: 0, stats }),
			payload: (socketId, bytes) => payload(endpoint, socketId, bytes),
			sessionClosed: (socketId, reason, stats) => closed(endpoint, socketId, reason, stats),
		});
	} catch (error) {
		post({ op: 'failed', endpoint, message: (error as Error).message });
		return;
	}
	endpoints.set(endpoint, socket);
	updateTimers();
	socket.start();
};

const close = async (endpoint: EndpointId): Promise<void> => {
	const socket = endpoints.get(endpoint);
	endpoints.delete(endpoint);
	await socket?.stop();
	updateTimers();
	post({ op: 'closed', endpoint });
};

port.on('message', (message: ToSrtThread) => {
	switch (message.op) {
		case 'listen':
			listen(message.endpoint, message);
			break;
		case 'call':
			call(message.endpoint, message);
			break;
		case 'verdict': {
			const socket = endpoints.get(message.endpoint);
			if (socket instanceof SrtListenerSocket) socket.verdict(message.request, message.verdict);
			break;
		}
		case 'close-session':
			endpoints.get(message.endpoint)?.closeSession(message.socketId, message.reason);
			break;
		case 'close':
			void close(message.endpoint);
			break;
		case 'recycle':
			batch.recycle(message.buffer);
			break;
	}
});
