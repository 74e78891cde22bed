import { createSocket, type Socket } from 'node:dgram';
import { TapedeckError } from '../../src/core/errors.ts';

/** An RTP socket on an even port and its RTCP socket on the next one (RFC 3550 §11). */
export type UdpPortPair = { readonly rtp: Socket; readonly rtcp: Socket; readonly port: number };

export type PortRange = { readonly min: number; readonly max: number };

let cursor = 0;

const bind = (host: string, port: number): Promise<Socket | undefined> =>
	new Promise((resolve) => {
		const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
		socket.once('error', () => {
			socket.close();
			resolve(undefined);
		});
		socket.bind(port, host, () => {
			socket.removeAllListeners('error');
			// Late errors (ICMP unreachable on sends, closed peers) are not fatal: packets just stop.
			socket.on('error', () => {});
			resolve(socket);
		});
	});

/** Binds the first free even/odd pair in `range` on `host`, starting after the last pair handed out. */
export const bindUdpPortPair = async (host: string, range: PortRange): Promise<UdpPortPair> => {
	const first = range.min + (range.min % 2);
	const pairs = Math.floor((range.max - first + 1) / 2);
	if (pairs <= 0)
		throw new TapedeckError('invalid_argument', `RTP port range ${range.min}–${range.max} holds no even/odd pair`);
	for (let i = 0; i < pairs; i++) {
		const port = first + ((cursor + i) % pairs) * 2;
		const rtp = await bind(host, port);
		if (!rtp) continue;
		const rtcp = await bind(host, port + 1);
		if (!rtcp) {
			rtp.close();
			continue;
		}
		cursor = (cursor + i + 1) % pairs;
		return { rtp, rtcp, port };
	}
	throw new TapedeckError('io', `no free RTP/RTCP port pair in ${range.min}–${range.max} on ${host}`);
};

export const closeUdpPortPair = (pair: UdpPortPair): void => {
	for (const socket of [pair.rtp, pair.rtcp]) {
		try {
			socket.close();
		} catch {
			// already closed
		}
	}
};
