import type { MediaWarning } from '../../../src/core/media-receiver.ts';
import type { Packet } from '../../../src/core/packet.ts';
import type { Track } from '../../../src/core/track.ts';

/**
 * How a PES payload handed to an elementary stream ended. One object per PID, rewritten for each
 * PES: read it during the call only.
 */
export type PesEnding = {
	/** Loss cut the PES short: its last bytes are missing, so its last unit is incomplete. */
	cut: boolean;
	/**
	 * When the PES ended because the next one began: the payload bytes (past the PES header) that
	 * next PES carries in its first transport packet, for a video stream to tell whether an access
	 * unit begins there. Undefined when the PES ended otherwise (its length was reached, end of input).
	 */
	next: Uint8Array | undefined;
	/** The next PES carries a PTS other than this one's (only meaningful with `next`). */
	nextPtsDiffers: boolean;
};

/**
 * The codec-specific end of the TS demuxer: turns PES payloads of one PID into access units in
 * the canonical payload form and finds the track's decoder configuration.
 */
export interface ElementaryStream {
	/**
	 * One PES payload. `payload` is a view of a buffer reused for the next PES: the stream may
	 * rewrite it in place and must copy whatever it keeps past the call. Timestamps are 90 kHz
	 * ticks, already unwrapped; NaN when the PES has none.
	 */
	pes(payload: Uint8Array, pts: number, dts: number, ending: PesEnding): void;
	/**
	 * Bytes that followed a loss inside a PES whose header was before the loss: no timestamp of their
	 * own. Framed audio resynchronises in them; video cannot use them.
	 */
	fragment(payload: Uint8Array): void;
	/**
	 * Continuity was lost on the PID: forget partial state (a frame split across PES). `betweenPes`:
	 * the last PES ended whole and the loss began a new one, so a video access unit in progress is
	 * complete; otherwise it is broken.
	 */
	discontinuity(betweenPes: boolean): void;
	/** End of input: deliver or count what is left. */
	end(): void;
}

/** Where elementary streams deliver: the demuxer's track gate. */
export interface AccessUnitSink {
	/** The stream's decoder configuration is known, or changed: a new Track object with the same id. */
	configured(track: Track): void;
	/** One access unit; `data` is a view valid only during the call. */
	unit(packet: Packet): void;
	/** The stream will never have a configuration (content tapedeck cannot read): stop waiting for it. */
	abandoned(trackId: number): void;
	/** What did not reach the bus as it was (damage resynchronised over, a corrupt header not trusted). */
	warn(warning: MediaWarning): void;
}

/** Identity of the track an elementary stream feeds. */
export type StreamIdentity = { readonly id: number; readonly name: string; readonly pid: number };
