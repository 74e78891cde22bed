import { NalAccessUnitBuilder, type NalCodec } from './nal-access-unit-builder.ts';
import type { AccessUnitReceiver, CodecParameters, DepacketizerStats, RtpDepacketizer } from './rtp-depacketizer.ts';
import type { RtpPacket } from './rtp-packet.ts';

/**
 * What the H.264 and H.265 depacketizers share: a NalAccessUnitBuilder that every packet opens
 * and closes (timestamp change, loss, marker bit); the subclass only takes the payload apart
 * into NAL units and fragments.
 */
export abstract class NalDepacketizer implements RtpDepacketizer {
	protected readonly builder: NalAccessUnitBuilder;

	constructor(codec: NalCodec, receiver: AccessUnitReceiver, initialSets: readonly Uint8Array[]) {
		this.builder = new NalAccessUnitBuilder(codec, receiver, initialSets);
	}

	get stats(): DepacketizerStats {
		return this.builder.stats;
	}

	get initialParameters(): CodecParameters | undefined {
		return this.builder.parameters;
	}

	push(packet: RtpPacket, timestamp: number, lostBefore: number): void {
		this.builder.begin(timestamp, lostBefore);
		this.unpack(packet.payload);
		this.builder.end(packet.marker);
	}

	flush(): void {
		this.builder.flush();
	}

	/** Hands the NAL units and fragments of one RTP payload to the builder. */
	protected abstract unpack(payload: Uint8Array): void;
}
