/**
 * Ports for tests, from the OS. A server of ours binds port 0 and reports what it got; this is for the others: an
 * external peer that must be told a number before it starts (ffmpeg listening on srt://127.0.0.1:N, a relay's
 * target), or a server that does not report its bound port. The OS picks a free port for a socket bound to port 0 on
 * loopback, which is closed at once and the number handed over; another process would have to bind that very number
 * in the moment between to collide, unlike fixed numbers, which every concurrent run of the same test shares.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { waitUntil } from './wait.ts';

/** Numbers already handed out by this process: two calls never return the same one. */
const handedOut = new Set<number>();

/** A port free for `protocol` on 127.0.0.1 right now, and not returned before by this process. */
export const freePort = async (protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> => {
	for (;;) {
		const port = await osPort(protocol);
		if (handedOut.has(port)) continue;
		handedOut.add(port);
		return port;
	}
};

/** What the OS gives a socket bound to port 0 on loopback. */
const osPort = (protocol: 'tcp' | 'udp'): Promise<number> =>
	new Promise((resolve, reject) => {
		if (protocol === 'udp') {
			const socket = createSocket('udp4');
			socket.once('error', reject);
			socket.bind(0, '127.0.0.1', () => {
				const { port } = socket.address();
				socket.close(() => resolve(port));
			});
			return;
		}
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = address && typeof address === 'object' ? address.port : 0;
			server.close(() => resolve(port));
		});
	});

/**
 * Whether a socket on this machine is bound to UDP `port`, read from the kernel's socket tables (Linux), so that
 * asking never takes the port from the peer about to bind it, as a trial bind would.
 */
const udpBound = (port: number): boolean => {
	const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
	for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
		let text = '';
		try {
			text = readFileSync(table, 'utf8');
		} catch {
			continue;
		}
		for (const line of text.split('\n').slice(1)) {
			if (line.trim().split(/\s+/)[1]?.endsWith(suffix)) return true;
		}
	}
	return false;
};

/** Resolves once an external peer (srt-live-transmit, ffmpeg in listener mode) has bound UDP `port`. */
export const waitForUdpPort = (port: number, timeoutMs = 5000): Promise<void> =>
	waitUntil(`UDP port ${port} to be bound`, () => udpBound(port), timeoutMs);
