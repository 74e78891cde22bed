import { TimestampUnwrapper, TWO_POW_32 } from '../../src/core/time.ts';
import type { Track, TrackKind } from '../../src/core/track.ts';
import { DecodeTimestamper } from '../demux/rtp/decode-timestamper.ts';
import type { SenderReport } from '../demux/rtp/rtcp-packet.ts';
import type { AccessUnitReceiver, CodecParameters, RtpDepacketizer } from '../demux/rtp/rtp-depacketizer.ts';
import type { RtpPacket } from '../demux/rtp/rtp-packet.ts';
import { type ReorderOutput, RtpReorderBuffer } from '../demux/rtp/rtp-reorder-buffer.ts';
import { RtpReceptionStats } from './rtp-reception-stats.ts';

/** What a track reports to its session. */
export interface TrackOwner {
	trackParameters(track: RtpSessionTrack): void;
	trackAccessUnit(
		track: RtpSessionTrack,
		pts: number,
		dts: number,
		duration: number,
		keyframe: boolean,
		data: Uint8Array,
	): void;
}

/** Access units whose arrival latency is sampled for `arrivalAnchor`. */
const MAX_LATENCY_SAMPLES = 250;
/** Access units at the start whose latency is not trusted (a start burst). */
const BURST_UNITS = 8;
/** The latency percentile taken as the sender's schedule. */
const LATENCY_PERCENTILE = 0.1;

export type TrackSetup = {
	readonly mediaIndex: number;
	readonly id: number;
	readonly kind: TrackKind;
	readonly name: string;
	readonly payloadType: number;
	readonly clockRate: number;
	readonly reorderCapacity: number;
	readonly maxDelayMs: number;
};

/**
 * One RTP stream of a session: reorder buffer → 32-bit timestamp unwrapping → depacketizer →
 * (video) decode timestamps, with the reception statistics its receiver reports need and the
 * timing anchors (first arrival, last sender report, RTP-Info) its session aligns tracks with.
 */
export class RtpSessionTrack implements ReorderOutput, AccessUnitReceiver {
	readonly setup: TrackSetup;
	readonly reception = new RtpReceptionStats();
	readonly reorder: RtpReorderBuffer;
	readonly depacketizer: RtpDepacketizer;
	readonly #owner: TrackOwner;
	readonly #unwrapper = new TimestampUnwrapper(32);
	readonly #timestamper: DecodeTimestamper | undefined;
	/** Arrival time of the packet being depacketized. */
	#arrivalMs = 0;
	/** Arrival times of access units between the depacketizer and the decode timestamper (a FIFO ring). */
	readonly #unitArrivals = new Float64Array(64);
	#unitArrivalHead = 0;
	#unitArrivalCount = 0;
	/** Per access unit: arrival seconds minus DTS seconds, for the first ones (see `arrivalAnchor`). */
	readonly #latencies: number[] = [];
	codecParameters: CodecParameters | undefined;
	/** The Track as announced, rebuilt when parameters change. */
	track: Track | undefined;
	/** Extended RTP timestamp of the first packet. */
	firstTimestamp: number | undefined;
	/** DTS of the first access unit passed on. */
	firstUnitDts: number | undefined;
	senderReport: SenderReport | undefined;
	/** `rtptime` from the PLAY response's RTP-Info: the RTP time at the range start (RFC 2326 §12.33). */
	rtpInfoTimestamp: number | undefined;
	/** Ticks added to extended RTP timestamps to put them on the session timeline; set at alignment. */
	offset: number | undefined;
	/** Packets whose payload type was not the one negotiated. */
	foreignPackets = 0;

	constructor(
		setup: TrackSetup,
		owner: TrackOwner,
		createDepacketizer: (receiver: AccessUnitReceiver) => RtpDepacketizer,
	) {
		this.setup = setup;
		this.#owner = owner;
		this.reorder = new RtpReorderBuffer(this, setup.reorderCapacity, setup.maxDelayMs);
		const timestamper = setup.kind === 'video' ? new DecodeTimestamper(this, setup.clockRate) : undefined;
		const next: AccessUnitReceiver = timestamper ?? this;
		this.#timestamper = timestamper;
		this.depacketizer = createDepacketizer({
			parameters: (parameters) => next.parameters(parameters),
			accessUnit: (pts, dts, duration, keyframe, data) => {
				const ring = this.#unitArrivals;
				ring[(this.#unitArrivalHead + this.#unitArrivalCount) % ring.length] = this.#arrivalMs;
				if (this.#unitArrivalCount < ring.length) this.#unitArrivalCount++;
				else this.#unitArrivalHead = (this.#unitArrivalHead + 1) % ring.length;
				next.accessUnit(pts, dts, duration, keyframe, data);
			},
		});
		const initial = this.depacketizer.initialParameters;
		if (initial) {
			timestamper?.declare(initial);
			this.#adopt(initial);
		}
	}

	receive(packet: RtpPacket, arrivalMs: number): void {
		if (packet.payloadType !== this.setup.payloadType) {
			this.foreignPackets++;
			return;
		}
		this.reception.onPacket(packet, Math.round((arrivalMs * this.setup.clockRate) / 1000) % TWO_POW_32);
		this.reorder.push(packet, arrivalMs);
	}

	sequenced(packet: RtpPacket, lostBefore: number, arrivalMs: number): void {
		this.#arrivalMs = arrivalMs;
		const timestamp = this.#unwrapper.unwrap(packet.timestamp);
		if (this.firstTimestamp === undefined) this.firstTimestamp = timestamp;
		this.depacketizer.push(packet, timestamp, lostBefore);
	}

	parameters(parameters: CodecParameters): void {
		this.#adopt(parameters);
		this.#owner.trackParameters(this);
	}

	accessUnit(pts: number, dts: number, duration: number, keyframe: boolean, data: Uint8Array): void {
		this.firstUnitDts ??= dts;
		let arrivalMs = this.#arrivalMs;
		if (this.#unitArrivalCount > 0) {
			arrivalMs = this.#unitArrivals[this.#unitArrivalHead]!;
			this.#unitArrivalHead = (this.#unitArrivalHead + 1) % this.#unitArrivals.length;
			this.#unitArrivalCount--;
		}
		if (this.#latencies.length < MAX_LATENCY_SAMPLES) {
			this.#latencies.push(arrivalMs / 1000 - dts / this.setup.clockRate);
		}
		this.#owner.trackAccessUnit(this, pts, dts, duration, keyframe, data);
	}

	/** End of stream: releases what waits in the reorder buffer and the depacketizer. */
	flush(): void {
		this.reorder.flush();
		this.depacketizer.flush();
		this.#timestamper?.flush();
	}

	/** A 32-bit RTP timestamp extended to the one nearest this stream's first timestamp. */
	extend(raw: number): number {
		const reference = this.firstTimestamp ?? raw;
		let delta = (raw - (reference % TWO_POW_32)) % TWO_POW_32;
		if (delta > TWO_POW_32 / 2) delta -= TWO_POW_32;
		else if (delta < -TWO_POW_32 / 2) delta += TWO_POW_32;
		return reference + delta;
	}

	/**
	 * Ties the RTP clock to local time without help from the sender: senders send in decode order
	 * about when they encode (or, for a file played out, when its DTS comes due), so arrival time
	 * minus DTS is a constant plus delays. Sender buffering and the network only ever add delay, so
	 * a low percentile of it estimates the constant; the first access units are left out because a
	 * sender's start is often a burst (ffmpeg -re sends everything already due at once). DTS, not
	 * PTS: a PTS would be off by the B-frame reordering delay. Returns (seconds at tick 0, 0).
	 */
	arrivalAnchor(): [number, number] | undefined {
		const all = this.#latencies;
		if (all.length === 0) return undefined;
		const steady = all.length > 2 * BURST_UNITS ? all.slice(BURST_UNITS) : all;
		const sorted = [...steady].sort((a, b) => a - b);
		return [sorted[Math.floor(sorted.length * LATENCY_PERCENTILE)]!, 0];
	}

	get decodeTimestampFixups(): number {
		return this.#timestamper?.fixups ?? 0;
	}

	#adopt(parameters: CodecParameters): void {
		this.codecParameters = parameters;
		const { id, kind, name, clockRate } = this.setup;
		this.track = {
			id,
			kind,
			codec: parameters.codec,
			timescale: clockRate,
			config: parameters.config,
			name,
			...(parameters.video ? { video: parameters.video } : {}),
			...(parameters.audio ? { audio: parameters.audio } : {}),
		};
	}
}
