/**
 * One output file of a SegmentWriter: the sink its owner opened, the muxer writing into it, and
 * what the file's report needs (packets written, first DTS per track, the media span).
 */
import type { ContainerFormat, Muxer } from '../../mux/muxer.ts';
import { TapedeckError } from '../core/errors.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import type { Sink } from '../sink/sink.ts';

export type SegmentInfo = {
	sequence: number;
	path: string;
	format: ContainerFormat;
	bytes: number;
	packets: number;
	startedAt: Date;
	endedAt: Date;
	/** Media duration of the file. */
	durationMs: number;
	/** Per track id, ticks as written in the file. */
	firstDts: Map<number, number>;
};

export type OpenedSegment = { sink: Sink; path: string };

export class SegmentFile {
	readonly sequence: number;
	readonly path: string;
	readonly sink: Sink;
	readonly muxer: Muxer;
	readonly startedAt: Date;
	packets = 0;
	readonly firstDts = new Map<number, number>();
	/** Earliest DTS and latest end (DTS + duration) written, in seconds of the file's timeline. */
	#startS = Number.POSITIVE_INFINITY;
	#endS = Number.NEGATIVE_INFINITY;

	/** Makes the muxer and writes its header; if either fails, the sink is closed and the error thrown. */
	constructor(sequence: number, startedAt: Date, opened: OpenedSegment, createMuxer: (sink: Sink) => Muxer) {
		let muxer: Muxer;
		try {
			muxer = createMuxer(opened.sink);
			muxer.writeHeader();
		} catch (error) {
			opened.sink.close().catch(() => {});
			throw error;
		}
		this.sequence = sequence;
		this.path = opened.path;
		this.sink = opened.sink;
		this.muxer = muxer;
		this.startedAt = startedAt;
	}

	get durationMs(): number {
		return this.#endS > this.#startS ? Math.round((this.#endS - this.#startS) * 1000) : 0;
	}

	/** Writes a packet already on the file's timeline; false when the muxer refused its payload as malformed. */
	write(packet: Packet, track: Track): boolean {
		try {
			this.muxer.writePacket(packet);
		} catch (error) {
			if (!isMalformedPacket(error)) throw error;
			return false;
		}
		this.packets++;
		if (!this.firstDts.has(packet.trackId)) this.firstDts.set(packet.trackId, packet.dts);
		const start = packet.dts / track.timescale;
		const end = (packet.dts + packet.duration) / track.timescale;
		if (start < this.#startS) this.#startS = start;
		if (end > this.#endS) this.#endS = end;
		return true;
	}

	/** Writes the trailer; if that fails, the sink is closed and the error thrown. The owner closes the sink otherwise. */
	finish(): void {
		try {
			this.muxer.finish();
		} catch (error) {
			this.sink.close().catch(() => {});
			throw error;
		}
	}

	/** The file's report, as written so far. */
	info(format: ContainerFormat, endedAt: Date): SegmentInfo {
		return {
			sequence: this.sequence,
			path: this.path,
			format,
			bytes: this.sink.position,
			packets: this.packets,
			startedAt: this.startedAt,
			endedAt,
			durationMs: this.durationMs,
			firstDts: this.firstDts,
		};
	}
}

/** A muxer refusing one packet's payload (not an I/O or internal failure): drop it and carry on. */
const isMalformedPacket = (error: unknown): boolean =>
	error instanceof TapedeckError && (error.code === 'corrupt_input' || error.code === 'invalid_argument');
