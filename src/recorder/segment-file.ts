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
	/** Set when the trailer could not be written: the file is as far as it got and needs repair. */
	damaged?: string;
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
	/**
	 * Earliest PTS and latest end (PTS + duration) written, in seconds of the file's timeline: the span
	 * a player presents (a keyframe's B-frame delay decodes before it).
	 */
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

	/**
	 * Writes a packet already on the file's timeline. A muxer that fails on one packet (its payload is
	 * malformed, or the muxer cannot make sense of it) costs that packet alone: the reason is returned
	 * and the file carries on. Only the sink's I/O errors are thrown: then no later packet can be written either.
	 */
	write(packet: Packet, track: Track): string | undefined {
		try {
			this.muxer.writePacket(packet);
		} catch (error) {
			if (isIoError(error)) throw error;
			return error instanceof Error ? error.message : String(error);
		}
		this.packets++;
		if (!this.firstDts.has(packet.trackId)) this.firstDts.set(packet.trackId, packet.dts);
		const start = packet.pts / track.timescale;
		const end = (packet.pts + packet.duration) / track.timescale;
		if (start < this.#startS) this.#startS = start;
		if (end > this.#endS) this.#endS = end;
		return undefined;
	}

	/**
	 * Lets the muxer take changed or late tracks (`Muxer.updateTrack`: TS with a new PMT version, FLV
	 * with a new sequence header, progressive MP4/MOV a late track only); false when one of them
	 * answers that the change needs a new file, or throws.
	 */
	update(changed: readonly Track[]): boolean {
		try {
			return changed.every((track) => this.muxer.updateTrack(track).outcome === 'continued');
		} catch {
			return false;
		}
	}

	/** Writes the trailer; the owner closes the sink. What the muxer threw is returned: the file then needs repair. */
	finish(): string | undefined {
		try {
			this.muxer.finish();
			return undefined;
		} catch (error) {
			return error instanceof Error ? error.message : String(error);
		}
	}

	/** The file's report, as written so far. */
	info(format: ContainerFormat, endedAt: Date, damaged?: string): SegmentInfo {
		return {
			...(damaged === undefined ? {} : { damaged }),
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

/** The sink failed (disk full, no permission, write queue past its bound): the file cannot go on. */
export const isIoError = (error: unknown): boolean =>
	error instanceof TapedeckError && (error.code === 'io' || error.code === 'disk_full');
