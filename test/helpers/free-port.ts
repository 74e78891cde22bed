/**
 * Ports from the OS for tests. A server of ours binds port 0 and reports what it got; this is for the others: an
 * external peer that must be told a number before it starts (ffmpeg listening on srt://127.0.0.1:N, a relay's
 * target), or a server that does not report its bound port. The OS picks a free port for a socket bound to port 0 on
 * loopback, which is closed at once and the number handed over; another process would have to bind that very number
 * in the moment between to collide, unlike fixed numbers, which every concurrent run of the same test shares.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** A port free for `protocol` on 127.0.0.1 right now. */
export const freePort = (protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> =>
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

/** `count` distinct free ports (each one asked of the OS while the others are still held would be stricter; distinct is what tests need). */
export const freePorts = async (count: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<number[]> => {
	const ports = new Set<number>();
	while (ports.size < count) ports.add(await freePort(protocol));
	return [...ports];
};
