/**
 * The main thread's side of the SRT thread: starts the worker on first use (one per process, shared
 * by every SRT listener and caller), routes its messages to the endpoint they concern, unpacks payload
 * batches and returns their buffers. The worker holds the process open only while an endpoint is.
 */
import { Worker } from 'node:worker_threads';
import type { Demuxer } from '../../src/core/media-receiver.ts';
import { readPayloadBatch } from './payload-batch.ts';
import type { SrtStats } from './srt-connection.ts';
import type { EndpointId, FromSrtThread, ToSrtThread } from './thread-messages.ts';

/** An endpoint's view of the thread. */
export type SrtEndpointHandler = {
	onMessage(message: Exclude<FromSrtThread, { op: 'payloads' | 'stats' }>): void;
	onStats(socketId: number, stats: SrtStats): void;
	/** A delivered payload: a view valid during the call only. */
	onPayload(socketId: number, payload: Uint8Array): void;
	/** The thread died (a bug): the endpoint's sockets are gone. */
	onThreadLost(error: Error): void;
};

export type SrtEndpoint = {
	readonly id: EndpointId;
	send(message: ToSrtThread): void;
	/** Forgets the endpoint (after its `closed`, or after the thread was lost). */
	release(): void;
};

/**
 * The bundles (`npm run build`, the single executable) define this as the worker's own bundled source;
 * from the TypeScript sources the worker loads `srt-worker.ts` through tsx.
 */
declare const TAPEDECK_SRT_WORKER: string | undefined;

const startWorker = (): Worker => {
	if (typeof TAPEDECK_SRT_WORKER === 'string') return new Worker(TAPEDECK_SRT_WORKER, { eval: true });
	const tsx = import.meta.resolve('tsx/esm/api');
	const entry = new URL('./srt-worker.ts', import.meta.url).href;
	return new Worker(
		`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`,
		{ eval: true },
	);
};

class SrtThread {
	readonly #worker = startWorker();
	readonly #handlers = new Map<EndpointId, SrtEndpointHandler>();
	#nextId = 1;
	#lost = false;

	constructor() {
		this.#worker.on('message', (message: FromSrtThread) => this.#onMessage(message));
		this.#worker.on('error', (error) => this.#onLost(error));
		this.#worker.on('exit', (code) => this.#onLost(new Error(`SRT thread exited (code ${code})`)));
		this.#worker.unref();
	}

	open(handler: SrtEndpointHandler): SrtEndpoint {
		const id = this.#nextId++;
		this.#handlers.set(id, handler);
		this.#worker.ref();
		return {
			id,
			send: (message) => {
				if (!this.#lost) this.#worker.postMessage(message);
			},
			release: () => {
				this.#handlers.delete(id);
				if (this.#handlers.size === 0) this.#worker.unref();
			},
		};
	}

	/** Ends the worker at once, as a crash would: every endpoint hears `onThreadLost`. */
	async terminate(): Promise<void> {
		await this.#worker.terminate();
	}

	#onMessage(message: FromSrtThread): void {
		switch (message.op) {
			case 'payloads':
				readPayloadBatch(message.buffer, message.length, (endpoint, socketId, payload) =>
					this.#handlers.get(endpoint)?.onPayload(socketId, payload),
				);
				this.#worker.postMessage({ op: 'recycle', buffer: message.buffer } satisfies ToSrtThread, [message.buffer]);
				break;
			case 'stats':
				for (const [endpoint, socketId, stats] of message.entries)
					this.#handlers.get(endpoint)?.onStats(socketId, stats);
				break;
			default:
				this.#handlers.get(message.endpoint)?.onMessage(message);
		}
	}

	#onLost(error: Error): void {
		if (this.#lost) return;
		this.#lost = true;
		if (shared === this) shared = undefined;
		const handlers = [...this.#handlers.values()];
		this.#handlers.clear();
		for (const handler of handlers) handler.onThreadLost(error);
	}
}

let shared: SrtThread | undefined;

/** Opens an endpoint on the process's SRT thread, starting it if needed. */
export const openSrtEndpoint = (handler: SrtEndpointHandler): SrtEndpoint => {
	shared ??= new SrtThread();
	return shared.open(handler);
};

/**
 * Ends the SRT thread as a crash would (its endpoints recover on a new one): for tests of that
 * recovery, and for an embedding application that must not leave a thread behind.
 */
export const terminateSrtThread = async (): Promise<void> => {
	await shared?.terminate();
};

/**
 * Feeds one delivered payload to a connection's demuxer. Demuxers count bad input instead of
 * throwing; one that throws ends that connection (`fail`), never the listener or the thread.
 */
export const demuxPayload = (demuxer: Demuxer, payload: Uint8Array, fail: (reason: string) => void): void => {
	try {
		demuxer.push(payload);
	} catch (error) {
		fail(`demuxer failed: ${(error as Error).message}`);
	}
};
