import type { Packet } from '../../../src/core/packet.ts';
import type { Track } from '../../../src/core/track.ts';

/**
 * The codec-specific end of the TS demuxer: turns whole PES payloads of one PID into access
 * units in the canonical payload form and finds the track's decoder configuration.
 */
export interface ElementaryStream {
	/**
	 * One whole PES payload. `payload` is a view of a buffer reused for the next PES: the stream
	 * may rewrite it in place and must copy whatever it keeps past the call. Timestamps are 90 kHz
	 * ticks, already unwrapped; NaN when the PES has none.
	 */
	pes(payload: Uint8Array, pts: number, dts: number): void;
	/** Continuity was lost on the PID: forget partial state (e.g. an ADTS frame split across PES). */
	discontinuity(): void;
	/** End of input: deliver or count what is left. */
	end(): void;
}

/** Where elementary streams deliver: the demuxer's track gate. */
export interface AccessUnitSink {
	/** The stream's decoder configuration is known, or changed: a new Track object with the same id. */
	configured(track: Track): void;
	/** One access unit; `data` is a view valid only during the call. */
	unit(packet: Packet): void;
}

/** Identity of the track an elementary stream feeds. */
export type StreamIdentity = { readonly id: number; readonly name: string };
