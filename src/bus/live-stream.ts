import { TapedeckError } from '../core/errors.ts';
import type { MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import { formatStreamKey, type PublisherStats, type PublisherStatsSource, type StreamKey } from '../core/stream-hub.ts';
import type { Track } from '../core/track.ts';
import { GopCache, type GopCacheOptions } from './gop-cache.ts';
import { PacketArena, type PacketArenaOptions, type PacketArenaStats } from './packet-arena.ts';
import { type BusConsumer, Subscription, type SubscriptionOptions } from './subscription.ts';

export type LiveStreamStats = {
	/** Publisher sessions seen (a reconnect is a new session). */
	sessions: number;
	packets: number;
	bytes: number;
	/** Wall-clock start of the current session, undefined while offline. */
	startedAt: Date | undefined;
	protocol: string | undefined;
	/** The current publisher's address, when its protocol has one. */
	remoteAddress: string | undefined;
	/** Packets lost by subscribers that fell behind (each such subscription closed on its overflow). */
	droppedPackets: number;
	/** Warnings the publishers' inputs raised, by code (`dropped_data`, `timestamp_jump`, …). */
	readonly warnings: Partial<Record<MediaWarning['code'], number>>;
};

/**
 * One stream on the bus (`vhost/app/stream`): at most one publisher at a time, any number of
 * subscribers, which may attach before the stream exists (a reservation) and stay attached across
 * publisher sessions. Fan-out is synchronous into each subscriber's bounded ring; the stream copies
 * each payload once, because producers reuse their buffers and rings and the GOP cache keep packets.
 * The copies go into the stream's packet arena, whose chunks are reused once every ring and the GOP
 * cache have let go of their packets: no ArrayBuffer per packet, so no garbage-collection pressure.
 */
export class LiveStream {
	readonly key: StreamKey;
	readonly name: string;
	readonly stats: LiveStreamStats = {
		sessions: 0,
		packets: 0,
		bytes: 0,
		startedAt: undefined,
		protocol: undefined,
		remoteAddress: undefined,
		droppedPackets: 0,
		warnings: {},
	};
	readonly #subscribers = new Set<Subscription>();
	readonly #gop: GopCache;
	readonly #arena: PacketArena;
	#owner: object | undefined;
	#tracks: readonly Track[] | undefined;
	/** The current session's connection figures, when its protocol keeps them. */
	#statsSource: PublisherStatsSource | undefined;
	readonly #onIdle: (stream: LiveStream) => void;

	constructor(
		key: StreamKey,
		onIdle: (stream: LiveStream) => void,
		gop: GopCacheOptions = {},
		arena: PacketArenaOptions = {},
	) {
		this.key = key;
		this.name = formatStreamKey(key);
		this.#onIdle = onIdle;
		this.#gop = new GopCache(gop);
		this.#arena = new PacketArena(arena);
	}

	/** True while a publisher session is running. */
	get live(): boolean {
		return this.#owner !== undefined;
	}

	/** The current session's tracks, once announced. */
	get tracks(): readonly Track[] | undefined {
		return this.#tracks;
	}

	get subscriberCount(): number {
		return this.#subscribers.size;
	}

	/** How the stream's packet copies use memory (chunks allocated, held, spare). */
	get arenaStats(): PacketArenaStats {
		return this.#arena.stats;
	}

	/** The figures of the connection publishing now (SRT), with its protocol, or undefined. */
	publisherStats(): { readonly protocol: string; readonly stats: PublisherStats } | undefined {
		const source = this.#statsSource;
		return source ? { protocol: source.protocol, stats: source.read() } : undefined;
	}

	/** The owner's connection reports its figures through `source` for the rest of its session. */
	reportStats(owner: object, source: PublisherStatsSource): void {
		if (this.#owner === owner) this.#statsSource = source;
	}

	/**
	 * Attaches a consumer. When the stream is live it first receives the tracks and the cached GOP,
	 * so a recording that starts mid-stream begins at a keyframe.
	 */
	subscribe(consumer: BusConsumer, options?: SubscriptionOptions): Subscription {
		const subscription = new Subscription(consumer, options, (s) => this.#detach(s));
		this.#subscribers.add(subscription);
		if (this.#owner !== undefined && this.#tracks) {
			subscription.offerTracks(this.#tracks);
			for (const packet of this.#gop.packets) subscription.offerPacket(packet);
		}
		return subscription;
	}

	/** Starts a publisher session owned by `owner`; a conflict while another owner's session runs. */
	begin(owner: object, protocol: string, remoteAddress?: string): void {
		if (this.#owner === owner) return;
		if (this.#owner !== undefined) {
			throw new TapedeckError(
				'conflict',
				`stream ${this.name} is already being published (over ${this.stats.protocol}): one publisher at a time`,
			);
		}
		this.#owner = owner;
		this.#tracks = undefined;
		this.#statsSource = undefined;
		this.#gop.reset(undefined);
		this.stats.sessions++;
		this.stats.startedAt = new Date();
		this.stats.protocol = protocol;
		this.stats.remoteAddress = remoteAddress;
	}

	isOwnedBy(owner: object): boolean {
		return this.#owner === owner;
	}

	announce(owner: object, tracks: readonly Track[]): void {
		if (this.#owner !== owner) return;
		this.#tracks = tracks;
		this.#gop.reset(tracks.find((t) => t.kind === 'video')?.id);
		for (const subscription of this.#subscribers) subscription.offerTracks(tracks);
	}

	push(owner: object, packet: Packet): void {
		if (this.#owner !== owner || !this.#tracks) return;
		const owned = this.#arena.copy(packet);
		this.stats.packets++;
		this.stats.bytes += owned.data.length;
		this.#gop.add(owned);
		for (const subscription of this.#subscribers) subscription.offerPacket(owned);
	}

	/** Forwards what the owner's input lost or changed to every subscriber, in order with the packets. */
	warn(owner: object, warning: MediaWarning): void {
		if (this.#owner !== owner) return;
		this.stats.warnings[warning.code] = (this.stats.warnings[warning.code] ?? 0) + 1;
		for (const subscription of this.#subscribers) subscription.offerWarning(warning);
	}

	/** Ends the owner's session: subscribers get `onEnd` and stay attached for the next one. */
	end(owner: object, reason: string): void {
		if (this.#owner !== owner) return;
		this.#owner = undefined;
		this.#statsSource = undefined;
		const announced = this.#tracks !== undefined;
		this.#tracks = undefined;
		this.#gop.reset(undefined);
		this.#arena.idle();
		this.stats.startedAt = undefined;
		this.stats.remoteAddress = undefined;
		if (announced) for (const subscription of this.#subscribers) subscription.offerEnd(reason);
		if (this.#subscribers.size === 0) this.#onIdle(this);
	}

	#detach(subscription: Subscription): void {
		this.#subscribers.delete(subscription);
		this.stats.droppedPackets += subscription.dropped;
		if (this.#subscribers.size === 0 && this.#owner === undefined) this.#onIdle(this);
	}
}
