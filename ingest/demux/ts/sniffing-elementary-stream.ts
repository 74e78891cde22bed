import { parseAdtsHeader } from '../../../src/codec/aac.ts';
import { parseAc3Header } from '../../../src/codec/ac3.ts';
import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import type { CodecId } from '../../../src/core/track.ts';
import type { AccessUnitSink, ElementaryStream, PesEnding, StreamIdentity } from './elementary-stream.ts';

/** What the sniffer needs from the demuxer: a stream for the codec found, and to hear which it was. */
export interface SniffedStreamFactory {
	/** The elementary stream reading `codec` for this identity. */
	sniffedStream(codec: CodecId, identity: StreamIdentity): ElementaryStream;
}

/**
 * A private PES stream (stream_type 0x06) that no descriptor identifies, as Blu-ray (HDMV) M2TS
 * writers leave their audio: the first PES payload says what it is — an ADTS header (AAC) or an
 * AC-3 sync frame, each confirmed by the frame after it — and from then on that codec's stream
 * reads it. Anything else is named once in an 'unsupported_stream' warning and skipped.
 */
export class SniffingElementaryStream implements ElementaryStream {
	readonly #identity: StreamIdentity;
	readonly #sink: AccessUnitSink;
	readonly #stats: DemuxStats;
	readonly #factory: SniffedStreamFactory;
	#inner: ElementaryStream | undefined;
	#refused = false;

	constructor(identity: StreamIdentity, sink: AccessUnitSink, stats: DemuxStats, factory: SniffedStreamFactory) {
		this.#identity = identity;
		this.#sink = sink;
		this.#stats = stats;
		this.#factory = factory;
	}

	pes(payload: Uint8Array, pts: number, dts: number, ending: PesEnding): void {
		if (!this.#inner && !this.#refused) this.#sniff(payload);
		// An unreadable stream's PES are units of an unknown codec: dropped, and counted as such.
		if (this.#inner) this.#inner.pes(payload, pts, dts, ending);
		else this.#stats.droppedUnits++;
	}

	fragment(payload: Uint8Array): void {
		this.#inner?.fragment(payload);
	}

	discontinuity(betweenPes: boolean): void {
		this.#inner?.discontinuity(betweenPes);
	}

	end(): void {
		this.#inner?.end();
	}

	#sniff(payload: Uint8Array): void {
		const adts = parseAdtsHeader(payload, 0);
		const ac3 = adts ? undefined : parseAc3Header(payload, 0);
		const next = adts?.frameLength ?? ac3?.frameLength ?? 0;
		const confirmed = next >= payload.length || (adts ? parseAdtsHeader(payload, next) : parseAc3Header(payload, next));
		if ((adts || ac3) && confirmed) {
			this.#inner = this.#factory.sniffedStream(adts ? 'aac' : 'ac3', this.#identity);
			return;
		}
		this.#refused = true;
		this.#sink.abandoned(this.#identity.id);
		this.#sink.warn({
			code: 'unsupported_stream',
			message: `PID 0x${this.#identity.pid.toString(16).padStart(4, '0')}: stream type 0x06 (private PES) not carried: its data is neither AAC (ADTS) nor AC-3`,
		});
	}
}
