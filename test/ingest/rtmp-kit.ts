/** Shared pieces of the RTMP tests: a bus collector, ffmpeg publishers, waiting. */
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BusConsumer } from '../../src/bus/subscription.ts';
import type { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { ffmpegCopy, Peer } from '../helpers/process.ts';
import { sleep, waitUntil } from '../helpers/wait.ts';

export { tempDir } from '../helpers/temp-dir.ts';
export { sleep };

/** Everything a bus subscriber receives, per session. */
export class Collector implements BusConsumer {
	tracks: readonly Track[] = [];
	packets: Packet[] = [];
	ends: string[] = [];
	errors: TapedeckError[] = [];
	onTracks(tracks: readonly Track[]): void {
		this.tracks = tracks;
	}
	/** The bus reuses payload memory once `onPacket` returns: keep a copy, as any consumer must. */
	onPacket(packet: Packet): void {
		this.packets.push({ ...packet, data: packet.data.slice() });
	}
	onEnd(reason: string): void {
		this.ends.push(reason);
	}
	onError(error: TapedeckError): void {
		this.errors.push(error);
	}
	of(trackId: number): Packet[] {
		return this.packets.filter((p) => p.trackId === trackId);
	}
}

/** Polls `condition`; rejects naming `what` after `timeoutMs`. */
export const waitFor = (condition: () => boolean, timeoutMs: number, what: string): Promise<void> =>
	waitUntil(what, condition, timeoutMs);

/** `ffmpeg -re -i <input> -c copy -f flv <url>` (or other outputs through `output`). */
export const ffmpegPush = (input: string, output: readonly string[], realtime = true): Peer =>
	ffmpegCopy(input, output, { realtime });

/** nginx with libnginx-mod-rtmp on a loopback port: its own config, pid and logs in `dir`, stopped by PID. */
export const startNginxRtmp = (dir: string, port: number): Peer => {
	const config = join(dir, 'nginx.conf');
	writeFileSync(
		config,
		[
			'load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;',
			'daemon off;',
			'master_process off;',
			'worker_processes 1;',
			`pid ${join(dir, 'nginx.pid')};`,
			`error_log ${join(dir, 'error.log')} warn;`,
			'events { worker_connections 64; }',
			`rtmp { server { listen 127.0.0.1:${port}; chunk_size 4096; application live { live on; record off; } } }`,
		].join('\n'),
	);
	return new Peer('/usr/sbin/nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', config]);
};

/** Resolves once something accepts TCP connections on the port. */
export const waitForPort = async (port: number, timeoutMs: number): Promise<void> => {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const open = await new Promise<boolean>((resolve) => {
			const socket = connect({ host: '127.0.0.1', port }, () => {
				socket.destroy();
				resolve(true);
			});
			socket.on('error', () => resolve(false));
		});
		if (open) return;
		if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
		await sleep(50);
	}
};

/**
 * node-media-server 4 (devDependency, test peer only) from a small script in `dir`: RTMP on a loopback
 * port, its store in `dir`, no HTTP. The script exits by itself after `lifetimeMs` in case a test dies.
 */
export const startNodeMediaServer = (dir: string, port: number, lifetimeMs = 60_000): Peer => {
	const script = join(dir, 'nms.cjs');
	const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
	writeFileSync(
		script,
		[
			`const NodeMediaServer = require('node:module').createRequire(${JSON.stringify(root)})('node-media-server');`,
			`const nms = new NodeMediaServer({ bind: '127.0.0.1', rtmp: { port: ${port} }, store: { path: ${JSON.stringify(join(dir, 'store'))} } }, '');`,
			'nms.run();',
			"process.on('SIGTERM', () => nms.stop().finally(() => process.exit(0)));",
			`setTimeout(() => process.exit(0), ${lifetimeMs}).unref();`,
		].join('\n'),
	);
	return new Peer(process.execPath, [script]);
};

/** A TCP proxy on an OS-chosen port in front of `upstreamPort` that keeps every client → server byte. */
export const capturingProxy = async (
	upstreamPort: number,
): Promise<{ port: number; captured: Buffer[]; close: () => Promise<void> }> => {
	const captured: Buffer[] = [];
	const proxy: Server = createServer((client: Socket) => {
		const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
		client.on('data', (d: Buffer) => {
			captured.push(Buffer.from(d));
			upstream.write(d);
		});
		upstream.on('data', (d: Buffer) => client.write(d));
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
		client.on('error', () => {});
		upstream.on('error', () => {});
	});
	await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
	const { port } = proxy.address() as { port: number };
	return { port, captured, close: () => new Promise<void>((resolve) => proxy.close(() => resolve())) };
};
