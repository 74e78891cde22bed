import { bytesEqual } from '../../../src/bytes/bytes-equal.ts';
import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import { buildAvcC, H264NalType, h264NalType, h264UnitRole, parseH264Sps } from '../../../src/codec/h264.ts';
import {
	buildHvcC,
	H265NalType,
	h265NalType,
	h265UnitRole,
	isH265Irap,
	parseH265Sps,
} from '../../../src/codec/h265.ts';
import { type NalSpans, packLengthPrefixed } from '../../../src/codec/nal.ts';
import { TapedeckError } from '../../../src/core/errors.ts';
import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import type { Track, VideoInfo } from '../../../src/core/track.ts';
import type { AccessUnitSink, StreamIdentity } from './elementary-stream.ts';
import type { AccessUnitReader } from './video-elementary-stream.ts';

/** Parameter set slots: VPS (H.265 only), SPS, PPS. */
const VPS = 0;
const SPS = 1;
const PPS = 2;

/** What differs between H.264 and H.265 for this stream. */
type VideoRules = {
	readonly codec: 'h264' | 'h265';
	readonly nalType: (firstByte: number) => number;
	readonly role: (data: Uint8Array, at: number) => number;
	readonly accessUnitDelimiter: number;
	/** Slot of a parameter set NAL type, −1 for every other type. */
	readonly parameterSetSlot: (type: number) => number;
	/** A NAL type that makes its access unit a random access point (IDR, or IRAP for H.265). */
	readonly isKeyframe: (type: number) => boolean;
	readonly requiredSlots: readonly number[];
	readonly buildConfig: (sets: readonly (readonly Uint8Array[])[]) => Uint8Array;
	readonly pictureSize: (sps: Uint8Array) => VideoInfo;
};

const H264_RULES: VideoRules = {
	codec: 'h264',
	nalType: h264NalType,
	role: h264UnitRole,
	accessUnitDelimiter: H264NalType.AccessUnitDelimiter,
	parameterSetSlot: (type) => (type === H264NalType.Sps ? SPS : type === H264NalType.Pps ? PPS : -1),
	isKeyframe: (type) => type === H264NalType.IdrSlice,
	requiredSlots: [SPS, PPS],
	buildConfig: (sets) => buildAvcC(sets[SPS]!, sets[PPS]!),
	pictureSize: parseH264Sps,
};

const H265_RULES: VideoRules = {
	codec: 'h265',
	nalType: h265NalType,
	role: h265UnitRole,
	accessUnitDelimiter: H265NalType.AccessUnitDelimiter,
	parameterSetSlot: (type) => type - H265NalType.Vps, // VPS, SPS, PPS are 32, 33, 34
	isKeyframe: isH265Irap,
	requiredSlots: [VPS, SPS, PPS],
	buildConfig: (sets) => buildHvcC(sets[VPS]!, sets[SPS]!, sets[PPS]!),
	pictureSize: parseH265Sps,
};

/**
 * H.264 / H.265 access units (Annex B in MPEG-TS) to the bus form: access unit delimiters are
 * dropped, parameter sets move into the track config (a new track version whenever they change),
 * and the rest is rewritten to 4-byte length-prefixed NAL units, in place when the start codes
 * leave room (see `packLengthPrefixed`).
 */
export class H26xAccessUnitReader implements AccessUnitReader {
	readonly #rules: VideoRules;
	readonly #identity: StreamIdentity;
	readonly #sink: AccessUnitSink;
	readonly #stats: DemuxStats;
	readonly #scratch = new GrowableBuffer();
	/** Parameter sets of the current config (owned copies), per slot. */
	#sets: Uint8Array[][] = [[], [], []];
	#configured = false;
	/** Parameter sets seen in the access unit being read (views), per slot. */
	readonly #seen: Uint8Array[][] = [[], [], []];

	constructor(codec: 'h264' | 'h265', identity: StreamIdentity, sink: AccessUnitSink, stats: DemuxStats) {
		this.#rules = codec === 'h264' ? H264_RULES : H265_RULES;
		this.#identity = identity;
		this.#sink = sink;
		this.#stats = stats;
	}

	role(data: Uint8Array, at: number): number {
		return this.#rules.role(data, at);
	}

	read(data: Uint8Array, spans: NalSpans, from: number, pts: number, dts: number): void {
		const rules = this.#rules;
		let keyframe = false;
		let parameterSets = false;
		for (let i = 0; i < spans.count; i++) {
			if (i < from) {
				spans.keep[i] = 0;
				continue;
			}
			const start = spans.starts[i]!;
			const type = rules.nalType(data[start]!);
			const slot = rules.parameterSetSlot(type);
			if (slot >= 0 && slot <= PPS) {
				this.#seen[slot]!.push(data.subarray(start, spans.ends[i]));
				parameterSets = true;
				spans.keep[i] = 0;
			} else if (type === rules.accessUnitDelimiter) {
				spans.keep[i] = 0;
			} else if (rules.isKeyframe(type)) {
				keyframe = true;
			}
		}
		if (parameterSets) this.#updateConfig();
		const packed = packLengthPrefixed(data, spans, this.#scratch);
		if (packed.length === 0) return; // parameter sets only: nothing to decode
		this.#sink.unit({ trackId: this.#identity.id, dts, pts, duration: 0, keyframe, data: packed });
	}

	/** Adopts the parameter sets of this access unit where they differ, and announces a new track version. */
	#updateConfig(): void {
		let changed = false;
		for (let slot = VPS; slot <= PPS; slot++) {
			const seen = this.#seen[slot]!;
			if (seen.length > 0 && !sameUnits(seen, this.#sets[slot]!)) {
				this.#sets[slot] = seen.map((unit) => unit.slice());
				changed = true;
			}
			seen.length = 0;
		}
		if (!changed || this.#rules.requiredSlots.some((slot) => this.#sets[slot]!.length === 0)) return;
		try {
			const config = this.#rules.buildConfig(this.#sets);
			const video = this.#rules.pictureSize(this.#sets[SPS]![0]!);
			const track: Track = {
				id: this.#identity.id,
				kind: 'video',
				codec: this.#rules.codec,
				timescale: 90_000,
				config,
				name: this.#identity.name,
				video: { width: video.width, height: video.height },
			};
			if (this.#configured) {
				const { width, height } = track.video!;
				const message = `${this.#identity.name} (PID ${this.#identity.pid}): new parameter sets, ${width}x${height}`;
				this.#sink.warn({ code: 'parameter_change', message });
			}
			this.#configured = true;
			this.#sink.configured(track);
		} catch (error) {
			if (!(error instanceof TapedeckError)) throw error;
			this.#sets = [[], [], []]; // an unparsable SPS: wait for the next set
			this.#stats.droppedUnits++;
		}
	}
}

const sameUnits = (a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean => {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) {
		if (!bytesEqual(a[i]!, b[i]!)) return false;
	}
	return true;
};
