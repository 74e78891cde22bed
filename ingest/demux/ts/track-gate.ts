import type { DemuxStats, MediaReceiver, MediaWarning } from '../../../src/core/media-receiver.ts';
import type { Packet } from '../../../src/core/packet.ts';
import type { Track } from '../../../src/core/track.ts';
import type { AccessUnitSink } from './elementary-stream.ts';

/** Longest wait for every stream's config, in seconds of buffered media. */
const MAX_WAIT_SECONDS = 10;
/** Most bytes buffered while waiting. */
const MAX_WAIT_BYTES = 32 << 20;
/** Warnings of one code passed on one by one, then one in WARNING_SAMPLE. */
const WARNINGS_IN_FULL = 20;
const WARNING_SAMPLE = 100;

/**
 * Announces tracks only once their decoder configuration is known. While some stream of the
 * program map has none (no SPS seen yet, no ADTS header yet), access units are copied into a
 * buffer, up to 10 s of media or 32 MiB; then every configured track is announced and the buffer
 * is flushed in arrival order. Units of streams still without config at that point are dropped
 * and counted; such a stream joins with a new announcement once its config arrives.
 * After the announcement, units pass straight through as views (no copy).
 */
export class TrackGate implements AccessUnitSink {
	readonly #receiver: MediaReceiver;
	readonly #stats: DemuxStats;
	/** Every stream of the program map in PMT order, with its track once configured. */
	#tracks = new Map<number, Track | undefined>();
	#open = false;
	readonly #waiting: Packet[] = [];
	#waitingBytes = 0;
	readonly #warnings = new Map<MediaWarning['code'], number>();

	constructor(receiver: MediaReceiver, stats: DemuxStats) {
		this.#receiver = receiver;
		this.#stats = stats;
	}

	/** The program's streams changed (a new PMT): keep the tracks of the ids still present, wait for the others. */
	setStreams(ids: readonly number[]): void {
		const same = ids.length === this.#tracks.size && ids.every((id) => this.#tracks.has(id));
		if (same) return;
		const tracks = new Map<number, Track | undefined>();
		for (const id of ids) tracks.set(id, this.#tracks.get(id));
		this.#tracks = tracks;
		this.#open = false;
		if (this.#allConfigured()) this.#openGate();
	}

	configured(track: Track): void {
		if (!this.#tracks.has(track.id)) return;
		this.#tracks.set(track.id, track);
		if (this.#open) this.#announce();
		else if (this.#allConfigured()) this.#openGate();
	}

	abandoned(trackId: number): void {
		if (this.#tracks.get(trackId) !== undefined || !this.#tracks.delete(trackId)) return;
		if (!this.#open && this.#allConfigured()) this.#openGate();
	}

	unit(packet: Packet): void {
		if (this.#open) {
			if (this.#tracks.get(packet.trackId)) this.#deliver(packet);
			else this.#stats.droppedUnits++;
			return;
		}
		this.#waiting.push({ ...packet, data: packet.data.slice() });
		this.#waitingBytes += packet.data.length;
		if (this.#waitingBytes > MAX_WAIT_BYTES || this.#waitedSeconds(packet) > MAX_WAIT_SECONDS) this.#openGate();
	}

	/**
	 * Passes a warning on. A damaged stream may raise a loss or damage warning per PES: after
	 * WARNINGS_IN_FULL of such a code, only every WARNING_SAMPLE-th goes on, with the running count
	 * (stats keep the exact figures). Jumps, changes and unsupported streams always go on.
	 */
	warn(warning: MediaWarning): void {
		if (warning.code !== 'corrupt_data' && warning.code !== 'dropped_data') {
			this.#receiver.warn?.(warning);
			return;
		}
		const count = (this.#warnings.get(warning.code) ?? 0) + 1;
		this.#warnings.set(warning.code, count);
		if (count <= WARNINGS_IN_FULL) this.#receiver.warn?.(warning);
		else if (count % WARNING_SAMPLE === 0) {
			this.#receiver.warn?.({ code: warning.code, message: `${warning.message} (${count} such warnings so far)` });
		}
	}

	/** End of input: announce what is configured and flush. */
	end(): void {
		if (!this.#open) this.#openGate();
	}

	#allConfigured(): boolean {
		for (const track of this.#tracks.values()) if (!track) return false;
		return this.#tracks.size > 0;
	}

	#waitedSeconds(last: Packet): number {
		const first = this.#waiting[0]!;
		return last.dts / this.#timescale(last.trackId) - first.dts / this.#timescale(first.trackId);
	}

	/** Video is 90 kHz before its config is known; audio always has a config before its first unit. */
	#timescale(trackId: number): number {
		return this.#tracks.get(trackId)?.timescale ?? 90_000;
	}

	#openGate(): void {
		const configured = [...this.#tracks.values()].some((track) => track);
		if (configured) {
			this.#open = true;
			this.#announce();
		}
		for (const packet of this.#waiting) {
			if (configured && this.#tracks.get(packet.trackId)) this.#deliver(packet);
			else this.#stats.droppedUnits++;
		}
		this.#waiting.length = 0;
		this.#waitingBytes = 0;
	}

	#announce(): void {
		const tracks: Track[] = [];
		for (const track of this.#tracks.values()) if (track) tracks.push(track);
		this.#receiver.announce(tracks);
	}

	#deliver(packet: Packet): void {
		this.#stats.packets++;
		this.#receiver.push(packet);
	}
}
