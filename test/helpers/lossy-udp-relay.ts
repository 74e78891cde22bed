/**
 * A UDP relay for loss tests (netem is not available here): clients send to its front port, each
 * client gets its own back socket towards the target, replies travel back the same way. Datagrams
 * the `applies` filter selects can be dropped at random, dropped in bursts, or reordered (held back
 * and sent after the next one). Deterministic for a given seed and datagram order.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export type RelayDirection = 'forward' | 'backward';

export type LossyUdpRelayOptions = {
	/** Front port clients send to (127.0.0.1). */
	port: number;
	targetPort: number;
	targetHost?: string;
	seed?: number;
	/** Probability (0–1) that an eligible datagram is dropped. */
	dropRate?: number;
	/** After every `burstEvery` eligible datagrams, the next `burstLength` are dropped. */
	burstEvery?: number;
	burstLength?: number;
	/** Probability (0–1) that an eligible datagram is held back and sent after the next one. */
	reorderRate?: number;
	/** Which datagrams the rules apply to (default: every datagram in both directions). */
	applies?: (datagram: Buffer, direction: RelayDirection) => boolean;
};

export type RelayStats = { forwarded: number; dropped: number; burstDropped: number; reordered: number };

/** mulberry32: a small seeded PRNG, enough for reproducible loss patterns. */
const prng = (seed: number): (() => number) => {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
};

type Held = { datagram: Buffer; send: (d: Buffer) => void; timer: NodeJS.Timeout };

/** How long a held-back datagram waits for a successor before it is sent anyway. */
const HOLD_MS = 15;

export class LossyUdpRelay {
	readonly stats: RelayStats = { forwarded: 0, dropped: 0, burstDropped: 0, reordered: 0 };
	/** While true every datagram is dropped (a peer that vanished). */
	blackhole = false;
	readonly #o: LossyUdpRelayOptions;
	readonly #random: () => number;
	readonly #front = createSocket('udp4');
	readonly #clients = new Map<string, Socket>();
	readonly #held = new Map<RelayDirection, Held>();
	#eligible = 0;
	#burstLeft = 0;

	constructor(options: LossyUdpRelayOptions) {
		this.#o = options;
		this.#random = prng(options.seed ?? 1);
		this.#front.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo));
		this.#front.on('error', () => {});
	}

	/** Binds the front port; rejects when it cannot (taken). */
	start(): Promise<void> {
		return new Promise((resolve, reject) => {
			this.#front.once('error', reject);
			this.#front.bind(this.#o.port, '127.0.0.1', () => {
				this.#front.off('error', reject);
				resolve();
			});
		});
	}

	async stop(): Promise<void> {
		for (const held of this.#held.values()) clearTimeout(held.timer);
		this.#held.clear();
		const sockets = [this.#front, ...this.#clients.values()];
		this.#clients.clear();
		await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
	}

	#fromClient(msg: Buffer, rinfo: RemoteInfo): void {
		const id = `${rinfo.address}:${rinfo.port}`;
		let back = this.#clients.get(id);
		if (!back) {
			const socket = createSocket('udp4');
			socket.on('error', () => {});
			socket.on('message', (reply) =>
				this.#relay(reply, 'backward', (d) => this.#front.send(d, rinfo.port, rinfo.address)),
			);
			socket.bind(0, '127.0.0.1');
			this.#clients.set(id, socket);
			back = socket;
		}
		const target = back;
		this.#relay(msg, 'forward', (d) => target.send(d, this.#o.targetPort, this.#o.targetHost ?? '127.0.0.1'));
	}

	#relay(datagram: Buffer, direction: RelayDirection, send: (d: Buffer) => void): void {
		if (this.blackhole) {
			this.stats.dropped++;
			return;
		}
		if (this.#o.applies?.(datagram, direction) ?? true) {
			if (this.#drop()) return;
			if (this.#random() < (this.#o.reorderRate ?? 0) && !this.#held.has(direction)) {
				this.stats.reordered++;
				const timer = setTimeout(() => this.#release(direction), HOLD_MS);
				this.#held.set(direction, { datagram, send, timer });
				return;
			}
		}
		this.stats.forwarded++;
		send(datagram);
		this.#release(direction);
	}

	#drop(): boolean {
		const o = this.#o;
		this.#eligible++;
		if (this.#burstLeft > 0) {
			this.#burstLeft--;
			this.stats.burstDropped++;
			this.stats.dropped++;
			return true;
		}
		if (o.burstEvery && this.#eligible % o.burstEvery === 0) {
			this.#burstLeft = (o.burstLength ?? 1) - 1;
			this.stats.burstDropped++;
			this.stats.dropped++;
			return true;
		}
		if (this.#random() < (o.dropRate ?? 0)) {
			this.stats.dropped++;
			return true;
		}
		return false;
	}

	#release(direction: RelayDirection): void {
		const held = this.#held.get(direction);
		if (!held) return;
		this.#held.delete(direction);
		clearTimeout(held.timer);
		this.stats.forwarded++;
		held.send(held.datagram);
	}
}
