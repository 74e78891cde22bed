/**
 * What `tapedeck probe` counts of a demuxer's output, per track: packets, keyframes, bytes, the
 * time span including the last frame's duration, and every change of the track's parameters
 * (a new SPS, another resolution or sample rate) with the time it took effect.
 */
import type { MediaReceiver, MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import { sameTrackParameters, type Track, type TrackFormat, trackFormat } from '../core/track.ts';
import { WarningLog } from '../recorder/warning-log.ts';
import { MAX_PRINTED } from './warning-printer.ts';

/** The parameters a track had from `atS` (seconds of its own timeline) on. */
export type ParameterSpan = { readonly atS: number } & TrackFormat;

export type TrackTally = {
	track: Track;
	packets: number;
	keyframes: number;
	bytes: number;
	minPts: number;
	maxEnd: number;
	firstPts: number;
	firstDts: number;
	lastDts: number;
	/** The last positive DTS step: the duration of a packet whose source gave none (TS video). */
	lastStep: number;
	/** Parameter changes in order, the first at the first packet; stamped when their first packet arrives. */
	readonly spans: ParameterSpan[];
	/** A re-announced track whose first packet with the new parameters has not come yet. */
	pendingChange: boolean;
};

export class ProbeReceiver implements MediaReceiver {
	readonly tallies = new Map<number, TrackTally>();
	readonly warnings = new WarningLog(MAX_PRINTED);
	readonly #startedAt = new Date();

	announce(tracks: readonly Track[]): void {
		for (const track of tracks) {
			const tally = this.tallies.get(track.id);
			if (!tally) {
				this.tallies.set(track.id, newTally(track));
			} else if (tally.track !== track) {
				if (!sameTrackParameters(tally.track, track)) tally.pendingChange = true;
				tally.track = track;
			}
		}
	}

	push(packet: Packet): void {
		const tally = this.tallies.get(packet.trackId);
		if (!tally) return;
		if (tally.packets === 0) {
			tally.firstPts = packet.pts;
			tally.firstDts = packet.dts;
			tally.spans.push(spanOf(tally.track, packet.pts));
		} else {
			const step = packet.dts - tally.lastDts;
			if (step > 0) tally.lastStep = step;
		}
		if (tally.pendingChange && tally.packets > 0) tally.spans.push(spanOf(tally.track, packet.pts));
		tally.pendingChange = false;
		tally.packets++;
		tally.lastDts = packet.dts;
		if (packet.keyframe) tally.keyframes++;
		tally.bytes += packet.data.length;
		if (packet.pts < tally.minPts) tally.minPts = packet.pts;
		const end = packet.pts + (packet.duration > 0 ? packet.duration : tally.lastStep);
		if (end > tally.maxEnd) tally.maxEnd = end;
	}

	warn(warning: MediaWarning): void {
		this.warnings.add(warning, this.#startedAt);
	}
}

const newTally = (track: Track): TrackTally => ({
	track,
	packets: 0,
	keyframes: 0,
	bytes: 0,
	minPts: Number.POSITIVE_INFINITY,
	maxEnd: Number.NEGATIVE_INFINITY,
	firstPts: 0,
	firstDts: 0,
	lastDts: 0,
	lastStep: 0,
	spans: [],
	pendingChange: false,
});

const spanOf = (track: Track, pts: number): ParameterSpan => ({ atS: pts / track.timescale, ...trackFormat(track) });
