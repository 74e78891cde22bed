import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import type { CodecId, Track } from '../../../src/core/track.ts';
import type { AccessUnitSink, StreamIdentity } from './elementary-stream.ts';

/** Data tracks count time in 90 kHz ticks, the MPEG-TS system clock. */
const DATA_TIMESCALE = 90_000;

/**
 * A data stream carried in sections (SCTE-35 splice information, ANSI/SCTE 35 §9: stream_type
 * 0x86): each whole section is one packet of a 'data' track, so a TS muxer can pass it through.
 * Sections carry no PES timestamp; each is dated with the program's time when it arrives (the
 * last video DTS, else the last PCR) — a splice_info_section says its own splice times in PTS.
 */
export class DataElementaryStream {
	readonly #codec: CodecId;
	readonly #identity: StreamIdentity;
	readonly #sink: AccessUnitSink;
	readonly #stats: DemuxStats;

	constructor(codec: CodecId, identity: StreamIdentity, sink: AccessUnitSink, stats: DemuxStats) {
		this.#codec = codec;
		this.#identity = identity;
		this.#sink = sink;
		this.#stats = stats;
	}

	/** Announces the track: a data stream needs no configuration from its content. */
	configure(): void {
		const track: Track = {
			id: this.#identity.id,
			kind: 'data',
			codec: this.#codec,
			timescale: DATA_TIMESCALE,
			config: new Uint8Array(0),
			name: this.#identity.name,
		};
		this.#sink.configured(track);
	}

	/** One whole section, dated `time` (90 kHz, NaN when the program has no time yet). */
	section(section: Uint8Array, time: number): void {
		if (Number.isNaN(time)) {
			this.#stats.droppedUnits++;
			this.#sink.warn({
				code: 'dropped_data',
				message: `${this.#identity.name} (PID ${this.#identity.pid}): a ${this.#codec} section before any timestamp or PCR`,
			});
			return;
		}
		this.#sink.unit({ trackId: this.#identity.id, dts: time, pts: time, duration: 0, keyframe: true, data: section });
	}
}
