import { TapedeckError } from '../core/errors.ts';
import type { Packet } from '../core/packet.ts';

export type PacketArenaOptions = {
	/** Size of each reused chunk; a payload larger than this gets a buffer of its own. */
	readonly chunkBytes?: number;
	/** Emptied chunks kept for reuse; past this, an emptied chunk is left to the garbage collector. */
	readonly maxSpareChunks?: number;
};

export type PacketArenaStats = {
	/** Chunks ever allocated: flat in the steady state, where emptied chunks are reused. */
	chunksAllocated: number;
	/** Chunks currently held by a packet or by the arena as the one being filled. */
	chunksHeld: number;
	/** Emptied chunks waiting for reuse. */
	spareChunks: number;
	/** Payloads larger than a chunk, each copied into a buffer of its own. */
	oversizePackets: number;
};

/**
 * A stream keeps about its cached GOP in chunks, plus the one being filled, so the rounding costs up
 * to a chunk per stream: with 256 KiB the ingest bench (UDP × 20) used 7.5 MB per stream against
 * 8.8 with 1 MiB, at no CPU cost. Only payloads past it (keyframes of high-bitrate 4K) get buffers of their own.
 */
export const DEFAULT_ARENA_CHUNK_BYTES = 256 << 10;
/** 8 MiB of spares at most: enough for a 2-second GOP at 30 Mb/s to cycle without allocating. */
export const DEFAULT_ARENA_SPARE_CHUNKS = 32;

/**
 * Where a live stream keeps its copy of each packet, so that the steady state allocates no
 * ArrayBuffer per packet. V8 counts ArrayBuffer bytes allocated since the last mark-compact against
 * the old generation's limit, so a fresh buffer per packet triggers a full GC every few hundred
 * milliseconds at tens of streams (bench/README.md, "Where the server's time goes").
 *
 * Payloads are bump-allocated in fixed-size chunks. Each chunk counts its holders: every packet
 * holder (the GOP cache, each subscription ring entry) retains the packet while it keeps it and
 * releases it when it lets go, and the arena itself holds the chunk it is filling until a payload no
 * longer fits. Holders let go in any order (a subscription closes, the GOP cache clears at a
 * keyframe), which a per-chunk count tolerates where a ring of per-packet counts would need FIFO.
 * A chunk nobody holds goes back to the spare list and is filled again from its start.
 */
export class PacketArena {
	readonly #chunkBytes: number;
	readonly #maxSpareChunks: number;
	readonly #spare: ArenaChunk[] = [];
	#current: ArenaChunk | undefined;
	#chunksAllocated = 0;
	#chunksHeld = 0;
	#oversizePackets = 0;
	/** Between sessions nothing is filled: emptied chunks go to the garbage collector instead of the spare list. */
	#idle = false;

	constructor(options: PacketArenaOptions = {}) {
		const chunkBytes = options.chunkBytes ?? DEFAULT_ARENA_CHUNK_BYTES;
		const maxSpareChunks = options.maxSpareChunks ?? DEFAULT_ARENA_SPARE_CHUNKS;
		if (!Number.isInteger(chunkBytes) || chunkBytes < 1) {
			throw new TapedeckError(
				'invalid_argument',
				`packet arena chunk size must be a positive integer, got ${chunkBytes}`,
			);
		}
		if (!Number.isInteger(maxSpareChunks) || maxSpareChunks < 0) {
			throw new TapedeckError(
				'invalid_argument',
				`packet arena spare chunk count must be an integer ≥ 0, got ${maxSpareChunks}`,
			);
		}
		this.#chunkBytes = chunkBytes;
		this.#maxSpareChunks = maxSpareChunks;
	}

	get stats(): PacketArenaStats {
		return {
			chunksAllocated: this.#chunksAllocated,
			chunksHeld: this.#chunksHeld,
			spareChunks: this.#spare.length,
			oversizePackets: this.#oversizePackets,
		};
	}

	/** A copy of `packet` whose payload lives in the arena; holders that keep it call `retain()` and later `release()`. */
	copy(packet: Packet): ArenaPacket {
		this.#idle = false;
		const source = packet.data;
		const length = source.length;
		if (length > this.#chunkBytes) {
			this.#oversizePackets++;
			return new ArenaPacket(packet, source.slice(), undefined);
		}
		let chunk = this.#current;
		if (chunk === undefined || chunk.used + length > this.#chunkBytes) {
			chunk?.release();
			chunk = this.#takeChunk();
			this.#current = chunk;
		}
		const start = chunk.used;
		chunk.bytes.set(source, start);
		chunk.used = start + length;
		return new ArenaPacket(packet, chunk.bytes.subarray(start, start + length), chunk);
	}

	/**
	 * The session ended: the chunk being filled is let go and the spares are dropped, so an idle stream
	 * (kept for its subscribers) holds only what they have not consumed yet. The next `copy` starts over.
	 */
	idle(): void {
		this.#idle = true;
		const current = this.#current;
		this.#current = undefined;
		current?.release();
		this.#spare.length = 0;
	}

	/** Called by a chunk whose last holder let go. */
	readonly #recycle = (chunk: ArenaChunk): void => {
		this.#chunksHeld--;
		if (!this.#idle && this.#spare.length < this.#maxSpareChunks) this.#spare.push(chunk);
	};

	/** A spare chunk or a new one, held by the arena as the one being filled. */
	#takeChunk(): ArenaChunk {
		let chunk = this.#spare.pop();
		if (chunk === undefined) {
			chunk = new ArenaChunk(this.#recycle, new Uint8Array(this.#chunkBytes));
			this.#chunksAllocated++;
		}
		chunk.used = 0;
		chunk.refs = 1;
		this.#chunksHeld++;
		return chunk;
	}
}

/** One reused block of payload bytes and the count of its holders (the arena's own hold included). */
class ArenaChunk {
	used = 0;
	refs = 0;

	constructor(
		readonly recycle: (chunk: ArenaChunk) => void,
		readonly bytes: Uint8Array,
	) {}

	release(): void {
		this.refs--;
		if (this.refs === 0) this.recycle(this);
	}
}

/**
 * A packet as the bus carries it: a `Packet` whose payload is a view into an arena chunk (or, when
 * oversize, a buffer of its own). The view stays valid while some holder retains the packet, which
 * is why consumers must copy what they keep past `onPacket`.
 */
export class ArenaPacket implements Packet {
	readonly trackId: number;
	readonly dts: number;
	readonly pts: number;
	readonly duration: number;
	readonly keyframe: boolean;
	readonly data: Uint8Array;
	readonly #chunk: ArenaChunk | undefined;
	/** Holders of this packet, so that a release without a retain is caught here, not as corrupt bytes later. */
	#holds = 0;

	constructor(packet: Packet, data: Uint8Array, chunk: ArenaChunk | undefined) {
		this.trackId = packet.trackId;
		this.dts = packet.dts;
		this.pts = packet.pts;
		this.duration = packet.duration;
		this.keyframe = packet.keyframe;
		this.data = data;
		this.#chunk = chunk;
	}

	/** A holder keeps this packet: its chunk is not reused until the matching `release()`. */
	retain(): void {
		this.#holds++;
		if (this.#chunk !== undefined) this.#chunk.refs++;
	}

	/** The holder let go; a release without its retain would let the chunk be overwritten under another holder. */
	release(): void {
		if (this.#holds === 0) {
			throw new TapedeckError('internal', 'packet arena: a packet was released more often than it was retained');
		}
		this.#holds--;
		this.#chunk?.release();
	}
}
