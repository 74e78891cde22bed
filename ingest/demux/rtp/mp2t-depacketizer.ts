import type { Demuxer } from '../../../src/core/media-receiver.ts';
import { type DepacketizerStats, emptyDepacketizerStats, type RtpDepacketizer } from './rtp-depacketizer.ts';
import type { RtpPacket } from './rtp-packet.ts';

const TS_PACKET_BYTES = 188;

/**
 * MPEG-2 transport stream over RTP (RFC 2250 §2, payload type 33): each payload is a whole number
 * of 188-byte TS packets, handed to a TS demuxer as they come. Timing, tracks and loss handling
 * are the TS demuxer's (PES timestamps, continuity counters); the RTP clock is not used.
 */
export class Mp2tDepacketizer implements RtpDepacketizer {
	readonly initialParameters = undefined;
	readonly #demuxer: Demuxer;
	readonly #stats: DepacketizerStats = emptyDepacketizerStats();

	constructor(demuxer: Demuxer) {
		this.#demuxer = demuxer;
	}

	get stats(): DepacketizerStats {
		const demux = this.#demuxer.stats;
		this.#stats.accessUnits = demux.packets;
		this.#stats.droppedUnits = demux.droppedUnits;
		return this.#stats;
	}

	push(packet: RtpPacket, _timestamp: number, _lostBefore: number): void {
		const p = packet.payload;
		if (p.length % TS_PACKET_BYTES !== 0) this.#stats.unsupportedPackets++;
		if (p.length > 0) this.#demuxer.push(p);
	}

	flush(): void {
		this.#demuxer.end();
	}
}
