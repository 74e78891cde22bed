import type { GrowableBuffer } from '../../src/bytes/growable-buffer.ts';
import type { AacConfig } from '../../src/codec/aac.ts';
import { ADTS_HEADER_LENGTH, adtsCanCarry, parseAudioSpecificConfig, writeAdtsHeader } from '../../src/codec/aac.ts';
import { H264NalType, h264NalType, parseAvcC } from '../../src/codec/h264.ts';
import { H265NalType, h265NalType, parseHvcC } from '../../src/codec/h265.ts';
import { TsStreamType } from '../../src/codec/mpeg-ts.ts';
import { NalSpans, START_CODE, scanLengthPrefixed } from '../../src/codec/nal.ts';
import { parseDOps } from '../../src/codec/opus.ts';
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
		case 'mp3': {
			// MPEG-1 rates are 32 kHz and up; MPEG-2's lower rates take the MPEG-2 audio stream_type
			const mpeg1 = (track.audio?.sampleRate ?? 48_000) >= 32_000;
			return new FrameWriter(mpeg1 ? TsStreamType.Mpeg1Audio : TsStreamType.Mpeg2Audio, 0xc0 + ordinal, NO_DESCRIPTORS);
		}
		case 'ac3':
			return new FrameWriter(TsStreamType.Ac3, PRIVATE_STREAM_1, AC3_REGISTRATION);
		case 'opus':
			return new OpusWriter(track);
		default:
			throw new UnsupportedCodecError(track.codec, 'ts', OTHER_CARRIERS);
	}
};

const NO_DESCRIPTORS = new Uint8Array(0);
/** stream_id of private_stream_1 (ISO/IEC 13818-1 Table 2-22): AC-3 and Opus PES. */
const PRIVATE_STREAM_1 = 0xbd;
/** registration_descriptor (tag 5, §2.6.8) with format_identifier 'AC-3' (ATSC A/52 Annex A). */
const AC3_REGISTRATION = Uint8Array.of(0x05, 4, 0x41, 0x43, 0x2d, 0x33);

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
	readonly descriptors = NO_DESCRIPTORS;
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
	readonly descriptors = NO_DESCRIPTORS;
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

/** Codecs whose frames are their own PES payload: MP3 (stream_type 0x03/0x04), AC-3 (0x81). */
class FrameWriter implements EsPayloadWriter {
	readonly streamType: number;
	readonly streamId: number;
	readonly descriptors: Uint8Array;

	constructor(streamType: number, streamId: number, descriptors: Uint8Array) {
		this.streamType = streamType;
		this.streamId = streamId;
		this.descriptors = descriptors;
	}

	write(packet: Packet, out: GrowableBuffer): void {
		out.append(packet.data);
	}
}

/**
 * Opus as ffmpeg writes it (ETSI TS 102 366 style): stream_type 0x06 with an 'Opus' registration
 * descriptor and an extension descriptor giving the channel configuration; each packet after an
 * opus_control_header. The first packet carries the dOps pre-skip as its start trim.
 */
class OpusWriter implements EsPayloadWriter {
	readonly streamType = TsStreamType.PrivatePes;
	readonly streamId = PRIVATE_STREAM_1;
	readonly descriptors: Uint8Array;
	#startTrim: number;

	constructor(track: Track) {
		const config = parseDOps(track.config);
		if (config.channels < 1 || config.channels > 8 || config.mappingFamily > 1) {
			throw new UnsupportedCodecError(
				`Opus with ${config.channels} channels in mapping family ${config.mappingFamily}`,
				'ts (1 to 8 channels, families 0 and 1)',
				OTHER_CARRIERS,
			);
		}
		// registration_descriptor 'Opus', then extension_descriptor (0x7F) with the Opus tag 0x80 and channel_config_code
		this.descriptors = Uint8Array.of(0x05, 4, 0x4f, 0x70, 0x75, 0x73, 0x7f, 2, 0x80, config.channels);
		this.#startTrim = config.preSkip;
	}

	write(packet: Packet, out: GrowableBuffer): void {
		const size = packet.data.length;
		const trim = this.#startTrim;
		this.#startTrim = 0;
		out.reserve(out.length + 4 + Math.floor(size / 255) + size);
		const b = out.bytes;
		let w = out.length;
		b[w++] = 0x7f; // control_header_prefix (11 bits 0x3FF) …
		b[w++] = 0xe0 | (trim ? 0x10 : 0); // … start_trim_flag, end_trim_flag 0, control_extension_flag 0, reserved
		for (let left = size; ; left -= 255) {
			b[w++] = Math.min(left, 255); // au_size: 0xFF while 255 or more remain, then the rest
			if (left < 255) break;
		}
		if (trim) {
			b[w++] = (trim >> 8) & 0x1f; // reserved '000', start_trim[12:8]
			b[w++] = trim & 0xff; // start_trim[7:0]
		}
		out.length = w;
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
