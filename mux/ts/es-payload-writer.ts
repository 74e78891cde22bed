import type { GrowableBuffer } from '../../src/bytes/growable-buffer.ts';
import type { AacConfig } from '../../src/codec/aac.ts';
import { ADTS_HEADER_LENGTH, adtsCanCarry, parseAudioSpecificConfig, writeAdtsHeader } from '../../src/codec/aac.ts';
import { H264NalType, h264NalType, parseAvcC } from '../../src/codec/h264.ts';
import { H265NalType, h265NalType, parseHvcC } from '../../src/codec/h265.ts';
import { NalSpans, START_CODE, scanLengthPrefixed } from '../../src/codec/nal.ts';
import { TsStreamType } from '../../src/codec/ts-stream-type.ts';
import { UnsupportedCodecError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';

/**
 * How one track's packets become PES payloads in MPEG-TS: the stream_type and descriptors for
 * the PMT, the PES stream_id, and the conversion from the canonical payload.
 */
export interface EsPayloadWriter {
	readonly streamType: number;
	/** PES stream_id (ISO/IEC 13818-1 Table 2-22). */
	readonly streamId: number;
	/** ES_info descriptors for the PMT (empty when the stream_type says it all). */
	readonly descriptors: Uint8Array;
	/** Appends the PES payload of `packet` to `out`. */
	write(packet: Packet, out: GrowableBuffer): void;
}

/** Containers other than TS that carry each codec, for the UnsupportedCodecError message. */
const OTHER_CARRIERS = ['mp4', 'fmp4', 'mov'];

/** The writer for `track`; `ordinal` counts tracks of the same kind (for distinct stream_ids). Throws UnsupportedCodecError. */
export const createEsPayloadWriter = (track: Track, ordinal: number): EsPayloadWriter => {
	switch (track.codec) {
		case 'h264':
		case 'h265':
			return new AnnexBWriter(track, 0xe0 + ordinal);
		case 'aac':
			return new AdtsWriter(track, 0xc0 + ordinal);
		default:
			throw new UnsupportedCodecError(track.codec, 'ts', OTHER_CARRIERS);
	}
};

/** access_unit_delimiter NAL units with "any picture type": H.264 primary_pic_type 7, H.265 pic_type 2. */
const H264_AUD = Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0);
const H265_AUD = Uint8Array.of(0, 0, 0, 1, 0x46, 0x01, 0x50);

/**
 * H.264 (stream_type 0x1B) and H.265 (0x24) as Annex B (ISO/IEC 13818-1 §2.14, §2.17): each access
 * unit starts with an access unit delimiter; keyframes also repeat the parameter sets from the
 * track config so a reader can start at any keyframe. NAL units get 4-byte start codes.
 */
class AnnexBWriter implements EsPayloadWriter {
	readonly streamType: number;
	readonly streamId: number;
	readonly descriptors = new Uint8Array(0);
	readonly #delimiter: Uint8Array;
	readonly #keyframePrefix: Uint8Array;
	readonly #nalType: (firstByte: number) => number;
	readonly #delimiterType: number;
	readonly #spans = new NalSpans();

	constructor(track: Track, streamId: number) {
		this.streamId = streamId;
		const h264 = track.codec === 'h264';
		this.streamType = h264 ? TsStreamType.H264 : TsStreamType.H265;
		this.#delimiter = h264 ? H264_AUD : H265_AUD;
		this.#nalType = h264 ? h264NalType : h265NalType;
		this.#delimiterType = h264 ? H264NalType.AccessUnitDelimiter : H265NalType.AccessUnitDelimiter;
		const parameterSets = h264
			? avcParameterSets(track.config)
			: parseHvcC(track.config).arrays.flatMap((a) => a.units);
		const prefix: Uint8Array[] = [this.#delimiter];
		for (const unit of parameterSets) prefix.push(START_CODE, unit);
		this.#keyframePrefix = concat(prefix);
	}

	write(packet: Packet, out: GrowableBuffer): void {
		const data = packet.data;
		out.append(packet.keyframe ? this.#keyframePrefix : this.#delimiter);
		const spans = this.#spans;
		scanLengthPrefixed(data, spans);
		for (let i = 0; i < spans.count; i++) {
			const start = spans.starts[i]!;
			if (this.#nalType(data[start]!) === this.#delimiterType) continue; // ours is already written
			out.append(START_CODE);
			out.append(data, start, spans.ends[i]);
		}
	}
}

/** AAC as ADTS (stream_type 0x0F, ISO/IEC 13818-1 §2.4.4.9): a 7-byte header before each raw frame. */
class AdtsWriter implements EsPayloadWriter {
	readonly streamType = TsStreamType.AacAdts;
	readonly streamId: number;
	readonly descriptors = new Uint8Array(0);
	readonly #config: AacConfig;

	constructor(track: Track, streamId: number) {
		this.streamId = streamId;
		this.#config = parseAudioSpecificConfig(track.config);
		if (!adtsCanCarry(this.#config)) {
			throw new UnsupportedCodecError(
				`AAC object type ${this.#config.objectType} at ${this.#config.sampleRate} Hz`,
				'ts (ADTS carries object types 1-4 at tabled rates)',
				OTHER_CARRIERS,
			);
		}
	}

	write(packet: Packet, out: GrowableBuffer): void {
		out.reserve(out.length + ADTS_HEADER_LENGTH + packet.data.length);
		writeAdtsHeader(out.bytes, out.length, this.#config, packet.data.length);
		out.length += ADTS_HEADER_LENGTH;
		out.append(packet.data);
	}
}

const avcParameterSets = (config: Uint8Array): Uint8Array[] => {
	const { sps, pps } = parseAvcC(config);
	return [...sps, ...pps];
};

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
	const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
};
