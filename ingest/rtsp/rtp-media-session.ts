import type { MediaReceiver } from '../../src/core/media-receiver.ts';
import type { Track } from '../../src/core/track.ts';
import { createDemuxer } from '../demux/create-demuxer.ts';
import { createDepacketizer, depacketizedKind, isMp2t, type RtpFormat } from '../demux/rtp/create-depacketizer.ts';
import { Mp2tDepacketizer } from '../demux/rtp/mp2t-depacketizer.ts';
import { buildReceiverReport, parseRtcp } from '../demux/rtp/rtcp-packet.ts';
import { type DepacketizerStats, emptyDepacketizerStats } from '../demux/rtp/rtp-depacketizer.ts';
import { isRtcpPacket, parseRtpPacket } from '../demux/rtp/rtp-packet.ts';
import type { ReorderStats } from '../demux/rtp/rtp-reorder-buffer.ts';
import { RtpSessionTrack, type TrackOwner } from './rtp-session-track.ts';
import type { SdpMedia } from './sdp.ts';

export type RtpMediaSessionOptions = {
	/** Reorder slots per stream: 0 over TCP (order is given), a few dozen over UDP. */
	readonly reorderCapacity: number;
	/** Longest a packet waits for a gap before it to fill. */
	readonly maxDelayMs?: number;
	/** Longest the start waits for every stream's sender report before aligning by arrival time. */
	readonly alignWaitMs?: number;
	/** Longest the start waits for codec parameters (in-band SPS/PPS) before announcing what is known. */
	readonly maxHoldMs?: number;
};

export type RtpSessionStats = ReorderStats &
	DepacketizerStats & {
		/** Datagrams or frames that are not RTP/RTCP, or not for a negotiated payload type. */
		invalidPackets: number;
		/** Video DTS values clamped to keep decode order (reordering deeper than measured at start). */
		timestampFixups: number;
		/** How tracks were put on one timeline: `sr`, `rtp-info`, `arrival`, or `none` yet. */
		alignment: Alignment | 'none';
	};

type Alignment = 'sr' | 'rtp-info' | 'arrival';

/** A unit held at the start, with the track version (parameters) it was made under. */
type Held = {
	track: RtpSessionTrack;
	version: Track | undefined;
	pts: number;
	dts: number;
	duration: number;
	keyframe: boolean;
	data: Uint8Array;
};

/** Held units at start beyond which the session aligns with what it has. */
const MAX_HELD_UNITS = 4000;

/** The first payload format of a media line that tapedeck can take, or undefined. */
export const selectFormat = (media: SdpMedia): RtpFormat | undefined => {
	for (const payloadType of media.payloadTypes) {
		const map = media.rtpmap.get(payloadType);
		if (!map) continue;
		const format: RtpFormat = {
			payloadType,
			encoding: map.encoding,
			clockRate: map.clockRate,
			channels: map.channels,
			fmtp: media.fmtp.get(payloadType) ?? new Map(),
		};
		if (isMp2t(format) || depacketizedKind(format)) return format;
	}
	return undefined;
};

/**
 * The receiving side of one RTSP session's RTP streams, whatever carries them (interleaved TCP
 * or UDP): parses RTP/RTCP, runs each stream's pipeline, puts all tracks on one timeline and
 * delivers Packets to a MediaReceiver.
 *
 * Alignment (RFC 3550 §6.4.1): each track's RTP clock is tied to wall-clock time by an anchor,
 * the sender report's (NTP, RTP) pair when every track has a plausible one, else the PLAY
 * response's RTP-Info (all tracks' rtptime at one instant), else arrival times (see
 * `RtpSessionTrack.arrivalAnchor`). The start is held (briefly, bounded) until every track has
 * its parameters and first access unit and the anchors are known, then goes out interleaved; the
 * anchors stay fixed for the session so timestamps never jump.
 */
export class RtpMediaSession implements TrackOwner {
	/** Per SDP media index: the stream, or undefined for media tapedeck does not take. */
	readonly tracks: readonly (RtpSessionTrack | undefined)[];
	/** Why media lines were left out (formats without the parameters they need). */
	readonly skipped: string[] = [];
	readonly #receiver: MediaReceiver;
	readonly #alignWaitMs: number;
	readonly #maxHoldMs: number;
	readonly #ssrc = (Math.random() * 0xffffffff) >>> 0;
	#invalid = 0;
	#held: Held[] | undefined = [];
	#firstArrivalMs: number | undefined;
	#alignment: Alignment | undefined;
	#originSeconds: number | undefined;
	/** Anchor NTP seconds minus local arrival seconds, for tracks that lack the chosen anchor. */
	#arrivalShift = 0;
	#mp2t = false;

	constructor(media: readonly SdpMedia[], receiver: MediaReceiver, options: RtpMediaSessionOptions) {
		this.#receiver = receiver;
		this.#alignWaitMs = options.alignWaitMs ?? 2500;
		this.#maxHoldMs = options.maxHoldMs ?? 5000;
		const selected = media.map((m) => selectFormat(m));
		const mp2tIndex = selected.findIndex((f) => f !== undefined && isMp2t(f));
		const names = new Map<string, number>();
		let nextId = 1;
		this.tracks = selected.map((format, mediaIndex) => {
			if (!format || (mp2tIndex >= 0 && mediaIndex !== mp2tIndex)) return undefined;
			const kind = isMp2t(format) ? 'data' : (depacketizedKind(format) ?? 'data');
			const seen = names.get(kind) ?? 0;
			names.set(kind, seen + 1);
			const setup = {
				mediaIndex,
				id: nextId++,
				kind,
				name: seen === 0 ? kind : `${kind}${seen + 1}`,
				payloadType: format.payloadType,
				clockRate: format.clockRate,
				reorderCapacity: options.reorderCapacity,
				maxDelayMs: options.maxDelayMs ?? 200,
			} as const;
			try {
				if (isMp2t(format)) {
					const track = new RtpSessionTrack(setup, this, () => new Mp2tDepacketizer(createDemuxer('ts', receiver)));
					this.#mp2t = true;
					return track;
				}
				return new RtpSessionTrack(setup, this, (out) => createDepacketizer(format, out));
			} catch (error) {
				this.skipped.push(`media ${mediaIndex}: ${error instanceof Error ? error.message : String(error)}`);
				return undefined;
			}
		});
	}

	receiveRtp(mediaIndex: number, bytes: Uint8Array, arrivalMs: number): void {
		const track = this.tracks[mediaIndex];
		if (!track) return;
		if (isRtcpPacket(bytes)) {
			this.receiveRtcp(mediaIndex, bytes, arrivalMs);
			return;
		}
		const packet = parseRtpPacket(bytes);
		if (!packet) {
			this.#invalid++;
			return;
		}
		this.#firstArrivalMs ??= arrivalMs;
		track.receive(packet, arrivalMs);
		this.#maybeRelease(arrivalMs);
	}

	/** An RTCP compound packet; returns true when it carries a BYE. */
	receiveRtcp(mediaIndex: number, bytes: Uint8Array, arrivalMs: number): boolean {
		const track = this.tracks[mediaIndex];
		if (!track) return false;
		const summary = parseRtcp(bytes);
		for (const report of summary.senderReports) {
			if (this.#held) track.senderReport = report;
			track.reception.onSenderReport(report, arrivalMs);
		}
		return summary.bye;
	}

	/** The PLAY response's RTP-Info `rtptime` for a media line. */
	setRtpInfo(mediaIndex: number, rtpTimestamp: number): void {
		const track = this.tracks[mediaIndex];
		if (track) track.rtpInfoTimestamp = rtpTimestamp;
	}

	/** Timer work: reorder timeouts and the alignment deadline. Call every ~100 ms. */
	tick(nowMs: number): void {
		for (const track of this.tracks) track?.reorder.expire(nowMs);
		this.#maybeRelease(nowMs);
	}

	/** One RR + SDES compound per media line that has received packets (RFC 3550 §6.4.2). */
	receiverReports(nowMs: number): (Uint8Array | undefined)[] {
		return this.tracks.map((track) => {
			const block = track?.reception.report(nowMs);
			return block ? buildReceiverReport(this.#ssrc, 'tapedeck', [block]) : undefined;
		});
	}

	/** End of the session: flushes every stream and whatever the start still held. */
	end(): void {
		for (const track of this.tracks) track?.flush();
		if (this.#held) this.#release();
	}

	stats(): RtpSessionStats {
		const total: RtpSessionStats = {
			received: 0,
			lost: 0,
			reordered: 0,
			late: 0,
			resyncs: 0,
			...emptyDepacketizerStats(),
			invalidPackets: this.#invalid,
			timestampFixups: 0,
			alignment: this.#alignment ?? 'none',
		};
		for (const track of this.tracks) {
			if (!track) continue;
			const r = track.reorder.stats;
			const d = track.depacketizer.stats;
			total.received += r.received;
			total.lost += r.lost;
			total.reordered += r.reordered;
			total.late += r.late;
			total.resyncs += r.resyncs;
			total.accessUnits += d.accessUnits;
			total.droppedUnits += d.droppedUnits;
			total.unsupportedPackets += d.unsupportedPackets;
			total.interleavedPackets += d.interleavedPackets;
			total.invalidPackets += track.foreignPackets;
			total.timestampFixups += track.decodeTimestampFixups;
		}
		return total;
	}

	trackParameters(_track: RtpSessionTrack): void {
		if (!this.#held) this.#announce();
	}

	trackAccessUnit(
		track: RtpSessionTrack,
		pts: number,
		dts: number,
		duration: number,
		keyframe: boolean,
		data: Uint8Array,
	): void {
		const held = this.#held;
		if (held) {
			held.push({ track, version: track.track, pts, dts, duration, keyframe, data: data.slice() });
			if (held.length >= MAX_HELD_UNITS) this.#release();
			return;
		}
		this.#deliver(track, pts, dts, duration, keyframe, data);
	}

	#maybeRelease(nowMs: number): void {
		if (!this.#held || this.#firstArrivalMs === undefined) return;
		if (this.#mp2t) {
			this.#held = undefined;
			return;
		}
		const waited = nowMs - this.#firstArrivalMs;
		const tracks = this.#activeTracks();
		// Every track configured and started, so the held start can be put in one interleaved order.
		const ready = tracks.every((t) => t.codecParameters && t.firstUnitDts !== undefined);
		if ((ready && (this.#modeFor(tracks) !== 'arrival' || waited >= this.#alignWaitMs)) || waited >= this.#maxHoldMs) {
			this.#release();
		}
	}

	#activeTracks(): RtpSessionTrack[] {
		return this.tracks.filter((t): t is RtpSessionTrack => t !== undefined);
	}

	/** The best anchor every track has: sender reports, else RTP-Info, else arrival times. */
	#modeFor(tracks: readonly RtpSessionTrack[]): Alignment {
		if (tracks.length === 0) return 'arrival';
		if (tracks.every((t) => this.#trustedReport(t))) return 'sr';
		if (tracks.every((t) => t.rtpInfoTimestamp !== undefined)) return 'rtp-info';
		return 'arrival';
	}

	#release(): void {
		const held = this.#held ?? [];
		this.#held = undefined;
		const tracks = this.#activeTracks();
		this.#alignment = this.#modeFor(tracks);
		// Tracks that lack the chosen anchor fall back to arrival time, shifted onto the anchors' clock.
		const reference = tracks.find((t) => t.arrivalAnchor() !== undefined && this.#hasModeAnchor(t));
		if (reference) {
			const [anchorSeconds, anchorTicks] = this.#anchor(reference);
			const [arrivalSeconds] = reference.arrivalAnchor()!;
			this.#arrivalShift = anchorSeconds - anchorTicks / reference.setup.clockRate - arrivalSeconds;
		}
		// The origin is the earliest decode time of any held unit, so every track starts at ≥ 0;
		// the held start goes out interleaved by that time.
		const times = held.map((unit) => {
			const [seconds, ticks] = this.#anchor(unit.track);
			return seconds + (unit.dts - ticks) / unit.track.setup.clockRate;
		});
		for (const at of times) if (this.#originSeconds === undefined || at < this.#originSeconds) this.#originSeconds = at;
		const order = held.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
		// Parameters may change during the hold (a new SPS/PPS, another audio config): each track is
		// announced first as its earliest held unit was made, and again before the first unit of each
		// later version, so no unit goes out under parameters it was not encoded with.
		const announced = new Map<RtpSessionTrack, Track | undefined>();
		for (const i of order) {
			const unit = held[i]!;
			if (!announced.has(unit.track)) announced.set(unit.track, unit.version);
		}
		this.#announce(announced);
		for (const i of order) {
			const unit = held[i]!;
			if (unit.version && unit.version !== announced.get(unit.track)) {
				announced.set(unit.track, unit.version);
				this.#announce(announced);
			}
			this.#deliver(unit.track, unit.pts, unit.dts, unit.duration, unit.keyframe, unit.data);
		}
		// A change after a track's last held unit (parameters ahead of their first unit) is announced now.
		if (tracks.some((t) => t.track && announced.has(t) && announced.get(t) !== t.track)) this.#announce();
	}

	#hasModeAnchor(track: RtpSessionTrack): boolean {
		if (this.#alignment === 'sr') return this.#trustedReport(track);
		if (this.#alignment === 'rtp-info') return track.rtpInfoTimestamp !== undefined;
		return true;
	}

	/** The (NTP seconds, extended RTP ticks) pair that ties a track's clock to the session's. */
	#anchor(track: RtpSessionTrack): [number, number] {
		if (this.#alignment === 'sr' && track.senderReport && this.#trustedReport(track)) {
			return [track.senderReport.ntpSeconds, track.extend(track.senderReport.rtpTimestamp)];
		}
		if (this.#alignment === 'rtp-info' && track.rtpInfoTimestamp !== undefined) {
			return [0, track.extend(track.rtpInfoTimestamp)];
		}
		// Arrival, own or shifted: the shift is 0 until a reference track set it.
		const [seconds, ticks] = track.arrivalAnchor() ?? [0, 0];
		return [seconds + this.#arrivalShift, ticks];
	}

	/**
	 * A sender report is used only when its RTP time is near the stream's packets: some senders
	 * (libavformat) send a first report with RTP time 0 before any packet.
	 */
	#trustedReport(track: RtpSessionTrack): boolean {
		const report = track.senderReport;
		if (!report || track.firstTimestamp === undefined) return false;
		return Math.abs(track.extend(report.rtpTimestamp) - track.firstTimestamp) < 60 * track.setup.clockRate;
	}

	/** Announces every track as it is now, or as `versions` says for the tracks it names. */
	#announce(versions?: ReadonlyMap<RtpSessionTrack, Track | undefined>): void {
		const tracks: Track[] = [];
		for (const t of this.tracks) {
			const track = (t && versions?.get(t)) ?? t?.track;
			if (track) tracks.push(track);
		}
		if (tracks.length > 0) this.#receiver.announce(tracks);
	}

	#deliver(
		track: RtpSessionTrack,
		pts: number,
		dts: number,
		duration: number,
		keyframe: boolean,
		data: Uint8Array,
	): void {
		if (!track.track) {
			track.depacketizer.stats.droppedUnits++;
			return;
		}
		if (track.offset === undefined) {
			const [seconds, ticks] = this.#anchor(track);
			this.#originSeconds ??= seconds + (dts - ticks) / track.setup.clockRate;
			track.offset = Math.round((seconds - this.#originSeconds) * track.setup.clockRate) - ticks;
		}
		this.#receiver.push({
			trackId: track.setup.id,
			pts: pts + track.offset,
			dts: dts + track.offset,
			duration,
			keyframe,
			data,
		});
	}
}
