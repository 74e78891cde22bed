/** Idle and trickling TCP clients for the listeners' connection-limit tests. */
import { connect, type Socket } from 'node:net';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { linesLogger } from '../helpers/memory-logger.ts';
import { Collector } from './rtmp-kit.ts';

export type IdleCrowd = {
	readonly sockets: readonly Socket[];
	/** Sockets the server has closed so far. */
	readonly closedByServer: () => number;
	/** Destroys every socket still open and stops trickling. */
	close(): void;
};

/**
 * `count` TCP connections to `host:port` that never complete a handshake; with `trickleMs`, each
 * sends one byte of `trickle` at that interval (keeping an idle timer from firing, as an attacker would).
 */
export const idleCrowd = async (
	host: string,
	port: number,
	count: number,
	options: { trickleMs?: number; trickle?: string } = {},
): Promise<IdleCrowd> => {
	const sockets: Socket[] = [];
	let closed = 0;
	await Promise.all(
		Array.from(
			{ length: count },
			() =>
				new Promise<void>((resolve) => {
					const socket = connect({ host, port });
					socket.on('error', () => {});
					socket.once('close', () => {
						closed++;
						resolve();
					});
					socket.once('connect', () => resolve());
					sockets.push(socket);
				}),
		),
	);
	const text = options.trickle ?? '\u0003';
	let at = 0;
	const timer =
		options.trickleMs === undefined
			? undefined
			: setInterval(() => {
					for (const socket of sockets) if (!socket.destroyed) socket.write(text[at % text.length] ?? ' ');
					at++;
				}, options.trickleMs);
	return {
		sockets,
		closedByServer: () => closed,
		close: () => {
			clearInterval(timer);
			for (const socket of sockets) socket.destroy();
		},
	};
};

/** A registry with a collector on `live/<stream>` (what the real publisher sends), and a log to search. */
export const watchedHub = (stream: string) => {
	const registry = new StreamRegistry();
	const collector = new Collector();
	registry.subscribe({ vhost: 'default', app: 'live', stream }, collector);
	const logs: string[] = [];
	return { registry, collector, logs, logger: linesLogger(logs) };
};
