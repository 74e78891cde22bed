import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import { type AudioFraming, ac3Framing, adtsFraming } from './audio-framing.ts';
import type { AccessUnitSink, ElementaryStream, PesEnding, StreamIdentity } from './elementary-stream.ts';
import { FramedAudioElementaryStream } from './framed-audio-elementary-stream.ts';

/** PES packets searched for a frame before the stream is named unreadable. */
const PES_TO_SNIFF = 8;
/** What a private PES may hold that tapedeck reads: AAC in ADTS (sync 0xFFF) or AC-3 (syncword 0x0B77). */
const CANDIDATES: readonly AudioFraming[] = [adtsFraming, ac3Framing];

/**
 * A private PES stream (0x06) that no descriptor identifies, read as what its payload holds (ffmpeg
 * probes such streams the same way): the first PES holding a whole frame header that the next frame
 * or the PES end confirms picks the framing, and the stream goes on as framed audio from that PES.
 * PES packets before it are dropped and counted; when PES_TO_SNIFF of them held no such frame, a
 * warning says the stream is not carried and `unreadable` lets the demuxer stop waiting for it.
 */
export class PayloadSniffingStream implements ElementaryStream {
	readonly #identity: StreamIdentity;
	readonly #sink: AccessUnitSink;
	readonly #stats: DemuxStats;
	readonly #unreadable: () => void;
	#stream: ElementaryStream | undefined;
	#sniffed = 0;

	constructor(identity: StreamIdentity, sink: AccessUnitSink, stats: DemuxStats, unreadable: () => void) {
		this.#identity = identity;
		this.#sink = sink;
		this.#stats = stats;
		this.#unreadable = unreadable;
	}

	pes(payload: Uint8Array, pts: number, dts: number, ending: PesEnding): void {
		if (this.#stream) {
			this.#stream.pes(payload, pts, dts, ending);
			return;
		}
		const framing = this.#sniffed < PES_TO_SNIFF ? recognise(payload) : undefined;
		if (framing) {
			this.#stream = new FramedAudioElementaryStream(framing, this.#identity, this.#sink, this.#stats);
			this.#stream.pes(payload, pts, dts, ending);
			return;
		}
		this.#stats.droppedUnits++;
		if (++this.#sniffed === PES_TO_SNIFF) this.#giveUp();
	}

	fragment(payload: Uint8Array): void {
		if (this.#stream) this.#stream.fragment(payload);
		else this.#stats.skippedBytes += payload.length;
	}

	discontinuity(betweenPes: boolean): void {
		this.#stream?.discontinuity(betweenPes);
	}

	end(): void {
		if (this.#stream) this.#stream.end();
		else if (this.#sniffed > 0 && this.#sniffed < PES_TO_SNIFF) this.#giveUp();
	}

	#giveUp(): void {
		const pid = this.#identity.pid.toString(16).padStart(4, '0');
		this.#sink.warn({
			code: 'unsupported_stream',
			message: `PID 0x${pid}: stream type 0x06 (private PES) not carried: no descriptor says what it holds and its first ${this.#sniffed} PES packets hold neither AAC (ADTS) nor AC-3`,
		});
		this.#unreadable();
	}
}

/** The framing of the first frame header in `payload` that the next header or the payload's end confirms. */
const recognise = (payload: Uint8Array): AudioFraming | undefined => {
	for (let at = 0; at + 1 < payload.length; at++) {
		for (let i = 0; i < CANDIDATES.length; i++) {
			const framing = CANDIDATES[i]!;
			if (payload[at] !== framing.syncByte) continue;
			const frame = framing.parse(payload, at);
			if (!frame) continue;
			const next = at + frame.frameLength;
			if (next === payload.length || (next < payload.length && framing.parse(payload, next))) return framing;
		}
	}
	return undefined;
};
