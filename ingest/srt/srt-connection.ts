/**
 * One established SRT connection, receiving side (draft-sharabayko-srt §4; libsrt `CUDT` receiver
 * paths), independent of the socket it lives on: the listener and the caller feed it datagrams and
 * call `tick()` every few milliseconds. It acknowledges (full ACK every 10 ms), reports losses (NAK
 * on each gap, then periodically), measures RTT from ACKACKs, decrypts, delivers payloads at their
 * TSBPD time (peer timestamp + base + latency) and drops what cannot arrive in time.
 *
 * Tail policy: when the connection ends (SHUTDOWN, timeout, local close), every payload still
 * waiting in the latency buffer is delivered at once, in order, skipping holes. A libsrt receiver
 * discards that tail instead; a recorder wants every byte that reached it.
 */
import { TimestampUnwrapper } from '../../src/core/time.ts';
import { DriftTracer } from './drift-tracer.ts';
import { OUR_FLOW_WINDOW } from './handshake.ts';
import { decodeKeyMaterial, encodeKeyMaterial, openKeyMaterial } from './key-material.ts';
import { encodeLossList, type LossRange } from './loss-list.ts';
import type { PayloadCipher } from './payload-cipher.ts';
import { ABANDONED, ReceiveBuffer } from './receive-buffer.ts';
import { ReceiveRate } from './receive-rate.ts';
import { RttEstimator } from './rtt-estimator.ts';
import { ackNoNext, seqAdd, seqOffset } from './sequence.ts';
import {
	ControlType,
	controlInfo,
	controlSubtype,
	controlType,
	dataKeyFlag,
	dataMsgNo,
	dataRetransmitted,
	dataSeq,
	ExtensionSubtype,
	encodeControl,
	HEADER_SIZE,
	isControl,
	packetClock,
	packetTimestamp,
	readWord,
	writeWord,
} from './srt-packet.ts';

export type SrtConnectionParams = {
	socketId: number;
	peerSocketId: number;
	initialSeq: number;
	/** Negotiated receive latency (TSBPD delay), ms. */
	latencyMs: number;
	/** Timestamp of the peer's handshake packet that completed the connection: sets the TSBPD time base. */
	peerTimestamp: number;
	/** Installed when the connection is encrypted; `passphrase` then unwraps key refreshes. */
	cipher?: PayloadCipher;
	passphrase?: string;
	/** Receive buffer in packets; also the flow window we report. */
	bufferPackets?: number;
	/** Monotonic clock in µs (injectable for tests). */
	clock?: () => number;
	send(datagram: Uint8Array): void;
	onPayload(payload: Uint8Array): void;
	onClose(reason: string): void;
};

/** Counters of one connection; rates over the last second. */
export type SrtStats = {
	rttMs: number;
	rttVarMs: number;
	latencyMs: number;
	packetsReceived: number;
	bytesReceived: number;
	/** Sequence numbers seen missing on arrival (each counted once). */
	packetsLost: number;
	/** Packets received with the retransmitted flag. */
	packetsRetransmitted: number;
	/** Packets given up: too late for their TSBPD time, or dropped on the sender's request. */
	packetsDropped: number;
	packetsDuplicate: number;
	/** Arrived after their slot was delivered or skipped. */
	packetsBelated: number;
	/** Could not be decrypted (key missing, cleartext on an encrypted link): dropped, never delivered. */
	packetsUndecrypted: number;
	nakSent: number;
	/** KM refreshes (new even/odd keys) installed. */
	keyRefreshes: number;
	bitrateKbps: number;
	/** Span of media waiting in the latency buffer, ms. */
	bufferDelayMs: number;
	connectedMs: number;
};

export const monotonicMicros = (): number => performance.now() * 1000;

const ACK_INTERVAL = 10_000;
const NAK_MIN_INTERVAL = 20_000;
const KEEPALIVE_INTERVAL = 1_000_000;
const PEER_IDLE_TIMEOUT = 5_000_000;
/** Loss ranges per NAK: keeps the datagram under the MTU. */
const MAX_NAK_RANGES = 160;

export class SrtConnection {
	readonly socketId: number;
	readonly peerSocketId: number;
	readonly latencyMs: number;
	readonly #p: SrtConnectionParams;
	readonly #clock: () => number;
	readonly #buffer: ReceiveBuffer;
	readonly #rtt = new RttEstimator();
	readonly #unwrapper = new TimestampUnwrapper(32);
	readonly #startedAt: number;
	#tsbpdBase: number;
	#closed = false;

	#lastHeard: number;
	#lastSent: number;
	#nextAckAt = 0;
	#ackNo = 0;
	#lastAckSent = -1;
	#lastAckSentAt = 0;
	/** Starts at the ISN, as libsrt's m_iRcvLastAckAck: nothing to acknowledge before the first packet. */
	#lastAckAcked: number;
	#lastNakAt = 0;

	#firstRtt = -1;
	readonly #drift = new DriftTracer();
	readonly #rate: ReceiveRate;

	readonly #stats = {
		packetsReceived: 0,
		bytesReceived: 0,
		packetsLost: 0,
		packetsRetransmitted: 0,
		packetsDropped: 0,
		packetsDuplicate: 0,
		packetsBelated: 0,
		packetsUndecrypted: 0,
		nakSent: 0,
		keyRefreshes: 0,
	};

	constructor(params: SrtConnectionParams) {
		this.#p = params;
		this.socketId = params.socketId;
		this.peerSocketId = params.peerSocketId;
		this.latencyMs = params.latencyMs;
		this.#clock = params.clock ?? monotonicMicros;
		const now = this.#clock();
		this.#startedAt = now;
		this.#lastHeard = now;
		this.#lastSent = now;
		this.#rate = new ReceiveRate(now);
		this.#buffer = new ReceiveBuffer(params.initialSeq, params.bufferPackets ?? OUR_FLOW_WINDOW);
		this.#lastAckAcked = params.initialSeq;
		this.#tsbpdBase = now - this.#unwrapper.unwrap(params.peerTimestamp);
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** One datagram addressed to this connection's socket id. */
	receive(datagram: Uint8Array): void {
		if (this.#closed || datagram.length < HEADER_SIZE) return;
		const now = this.#clock();
		this.#lastHeard = now;
		if (isControl(datagram)) this.#control(datagram, now);
		else this.#data(datagram, now);
	}

	/** Timers: delivery, ACK, periodic NAK, keepalive, idle timeout. Call every few ms. */
	tick(): void {
		if (this.#closed) return;
		const now = this.#clock();
		if (now - this.#lastHeard >= PEER_IDLE_TIMEOUT) {
			this.close('peer idle timeout (5 s without a packet)');
			return;
		}
		this.#deliver(now);
		if (now >= this.#nextAckAt) this.#ack(now);
		if (now - this.#lastNakAt >= Math.max(NAK_MIN_INTERVAL, (this.#rtt.rtt + 4 * this.#rtt.rttVar) / 2))
			this.#periodicNak(now);
		if (now - this.#lastSent >= KEEPALIVE_INTERVAL) this.#sendControl(ControlType.keepalive, 0, 0, now);
		this.#rate.tick(now);
	}

	/** Ends the connection: flushes the buffer (tail policy above), tells the peer unless it left first. */
	close(reason: string, notifyPeer = true): void {
		if (this.#closed) return;
		this.#flush();
		if (notifyPeer) this.#sendControl(ControlType.shutdown, 0, 0, this.#clock());
		this.#closed = true;
		this.#p.onClose(reason);
	}

	stats(): SrtStats {
		return {
			...this.#stats,
			rttMs: this.#rtt.rtt / 1000,
			rttVarMs: this.#rtt.rttVar / 1000,
			latencyMs: this.latencyMs,
			bitrateKbps: (this.#rate.byteRate * 8) / 1000,
			bufferDelayMs: this.#buffer.timespan / 1000,
			connectedMs: (this.#clock() - this.#startedAt) / 1000,
		};
	}

	#data(d: Uint8Array, now: number): void {
		const seq = dataSeq(d);
		// Message number 0 marks packet-filter control packets; we never negotiate a filter.
		if (dataMsgNo(d) === 0) return;
		const s = this.#stats;
		const payload = d.subarray(HEADER_SIZE);
		s.packetsReceived++;
		s.bytesReceived += payload.length;
		if (dataRetransmitted(d)) s.packetsRetransmitted++;
		this.#rate.onPacket(seq, payload.length, now);

		const buffer = this.#buffer;
		if (seqOffset(buffer.headSeq, seq) < 0) {
			s.packetsBelated++;
			return;
		}
		const gap = seqOffset(buffer.nextSeq, seq);
		if (gap > 0 && gap < buffer.capacity) {
			s.packetsLost += gap;
			this.#sendNak([{ first: buffer.nextSeq, last: seqAdd(seq, -1) }], now);
		}
		const keyFlag = dataKeyFlag(d);
		const cipher = this.#p.cipher;
		const clear = cipher === undefined ? keyFlag === 0 : keyFlag !== 0 && cipher.apply(payload, seq, keyFlag);
		if (!clear) {
			s.packetsUndecrypted++;
			buffer.abandon(seq, seq);
			return;
		}
		const time = this.#tsbpdBase + this.#unwrapper.unwrap(packetTimestamp(d)) + this.latencyMs * 1000;
		let result = buffer.insert(seq, payload, time);
		if (result === 'overflow') {
			this.#makeRoom(seq);
			result = buffer.insert(seq, payload, time);
		}
		if (result === 'duplicate') s.packetsDuplicate++;
	}

	/**
	 * A packet beyond the ring (an outage longer than the buffer at a high rate): what is buffered is
	 * delivered or dropped from the head until it fits, and an emptied ring restarts at that packet,
	 * so the connection never stalls waiting for holes nobody can fill.
	 */
	#makeRoom(seq: number): void {
		const buffer = this.#buffer;
		while (!buffer.isEmpty && seqOffset(buffer.headSeq, seq) >= buffer.capacity) {
			const head = buffer.head;
			if (buffer.shift()) this.#stats.packetsDropped++;
			else if (head !== undefined && head !== ABANDONED) this.#p.onPayload(head);
		}
		if (buffer.isEmpty) {
			this.#stats.packetsDropped += Math.max(0, seqOffset(buffer.headSeq, seq));
			buffer.restartAt(seq);
		}
	}

	#control(d: Uint8Array, now: number): void {
		switch (controlType(d)) {
			case ControlType.ackack:
				this.#onAckAck(d, now);
				break;
			case ControlType.shutdown:
				this.close('peer sent SHUTDOWN', false);
				break;
			case ControlType.dropreq:
				if (d.length >= HEADER_SIZE + 8) {
					this.#stats.packetsDropped += this.#buffer.abandon(
						readWord(d, HEADER_SIZE) & 0x7fffffff,
						readWord(d, HEADER_SIZE + 4) & 0x7fffffff,
					);
				}
				break;
			case ControlType.extension:
				if (controlSubtype(d) === ExtensionSubtype.kmreq) this.#onKeyRefresh(d, now);
				break;
			// KEEPALIVE only refreshes `lastHeard`; ACK/NAK would concern data we never send.
		}
	}

	/** ACKACK: an RTT sample, and a drift sample against the TSBPD base. */
	#onAckAck(d: Uint8Array, now: number): void {
		const acked = this.#rtt.onAckAck(controlInfo(d), now);
		if (acked < 0) return;
		this.#lastAckAcked = acked;
		if (this.#firstRtt < 0) this.#firstRtt = this.#rtt.rtt;
		const sent = this.#tsbpdBase + this.#unwrapper.unwrap(packetTimestamp(d));
		this.#tsbpdBase += this.#drift.sample(now - sent - (this.#rtt.rtt - this.#firstRtt) / 2);
	}

	/** KM refresh (EXT subtype 3): install the announced key(s), echo the message as KMRSP (subtype 4). */
	#onKeyRefresh(d: Uint8Array, now: number): void {
		const cif = d.subarray(HEADER_SIZE);
		const km = decodeKeyMaterial(cif);
		const passphrase = this.#p.passphrase;
		const keys = km === undefined || passphrase === undefined ? undefined : openKeyMaterial(km, passphrase);
		if (km === undefined || keys === undefined) return;
		this.#p.cipher?.setKeys(keys.salt, keys.even, keys.odd);
		this.#stats.keyRefreshes++;
		this.#p.send(
			encodeControl(
				ControlType.extension,
				ExtensionSubtype.kmrsp,
				0,
				this.#timestamp(now),
				this.peerSocketId,
				encodeKeyMaterial(km),
			),
		);
		this.#lastSent = now;
	}

	/** TSBPD delivery with too-late drop (libsrt TLPKTDROP): a hole is skipped once a later packet is due. */
	#deliver(now: number): void {
		const buffer = this.#buffer;
		while (!buffer.isEmpty) {
			const head = buffer.head;
			if (head === undefined) {
				const next = buffer.firstAfterGap();
				if (next < 0 || buffer.timeAt(next) > now) return;
				for (let i = 0; i < next; i++) if (buffer.shift()) this.#stats.packetsDropped++;
			} else if (head === ABANDONED) {
				buffer.shift();
			} else {
				if (buffer.headTime > now) return;
				buffer.shift();
				this.#p.onPayload(head);
			}
		}
	}

	#flush(): void {
		const buffer = this.#buffer;
		while (!buffer.isEmpty) {
			const head = buffer.head;
			const missing = buffer.shift();
			if (missing) this.#stats.packetsDropped++;
			else if (head !== undefined && head !== ABANDONED) this.#p.onPayload(head);
		}
	}

	/**
	 * Full ACK (7 words: ACK point, RTT, RTT variance, available buffer, packet rate, link capacity,
	 * byte rate), sent each 10 ms unless the sender already confirmed this ACK point; an unchanged
	 * point is repeated only after RTT + 4·RTTVar (libsrt `sendCtrlAck`).
	 */
	#ack(now: number): void {
		this.#nextAckAt = now + ACK_INTERVAL;
		const ackSeq = this.#buffer.ackSeq;
		if (ackSeq === this.#lastAckAcked) return;
		if (ackSeq === this.#lastAckSent && now - this.#lastAckSentAt < this.#rtt.rtt + 4 * this.#rtt.rttVar) return;
		const cif = new Uint8Array(28);
		const rtt = this.#rtt;
		writeWord(cif, 0, ackSeq);
		writeWord(cif, 4, Math.round(rtt.rtt));
		writeWord(cif, 8, Math.round(rtt.rttVar));
		writeWord(cif, 12, Math.max(2, this.#buffer.capacity - this.#buffer.span));
		writeWord(cif, 16, Math.max(1, Math.round(this.#rate.packetRate)));
		writeWord(cif, 20, this.#rate.capacity);
		writeWord(cif, 24, Math.round(this.#rate.byteRate));
		this.#ackNo = ackNoNext(this.#ackNo);
		this.#rtt.recordAck(this.#ackNo, ackSeq, now);
		this.#lastAckSent = ackSeq;
		this.#lastAckSentAt = now;
		this.#sendControl(ControlType.ack, 0, this.#ackNo, now, cif);
	}

	/** Periodic NAK of the whole loss list every max(20 ms, (RTT + 4·RTTVar)/2) (LiveCC). */
	#periodicNak(now: number): void {
		this.#lastNakAt = now;
		const ranges = this.#buffer.lossRanges(MAX_NAK_RANGES);
		if (ranges.length > 0) this.#sendNak(ranges, now);
	}

	#sendNak(ranges: readonly LossRange[], now: number): void {
		this.#stats.nakSent++;
		this.#lastNakAt = now;
		this.#sendControl(ControlType.nak, 0, 0, now, encodeLossList(ranges));
	}

	#sendControl(type: number, subtype: number, info: number, now: number, cif?: Uint8Array): void {
		this.#p.send(encodeControl(type, subtype, info, this.#timestamp(now), this.peerSocketId, cif));
		this.#lastSent = now;
	}

	#timestamp(now: number): number {
		return packetClock(now, this.#startedAt);
	}
}
