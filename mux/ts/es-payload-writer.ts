import type { GrowableBuffer } from '../../src/bytes/growable-buffer.ts';
import type { AacConfig } from '../../src/codec/aac.ts';
import { ADTS_HEADER_LENGTH, adtsCanCarry, parseAudioSpecificConfig, writeAdtsHeader } from '../../src/codec/aac.ts';
import { H264NalType, h264NalType } from '../../src/codec/h264.ts';
import { H265NalType, h265NalType } from '../../src/codec/h265.ts';
import { TsStreamType } from '../../src/codec/mpeg-ts.ts';
import { appendAnnexB, NalSpans, scanLengthPrefixed } from '../../src/codec/nal.ts';
import { parseDOps } from '../../src/codec/opus.ts';
import { parameterSetsAnnexB } from '../../src/codec/parameter-sets.ts';
import { UnsupportedCodecError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { isMpeg1Video } from '../mpeg-video-version.ts';

/**
 * How one track's packets become the payload of its PID in MPEG-TS: the stream_type and
 * descriptors for the PMT, the PES stream_id, and the conversion from the canonical payload.
 */
export interface EsPayloadWriter {
	readonly streamType: number;
	/** PES stream_id (ISO/IEC 13818-1 Table 2-22); 0 for a section stream. */
	readonly streamId: number;
	/** ES_info descriptors for the PMT (empty when the stream_type says it all). */
	readonly descriptors: Uint8Array;
	/** Descriptors this stream needs in the PMT's program_info loop (empty for most). */
	readonly programDescriptors: Uint8Array;
	/** The payload is whole PSI-style sections, packetized with a pointer_field instead of in PES. */
	readonly sections: boolean;
	/** Appends the PES payload (or the section) of `packet` to `out`. */
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
		case 'mpeg2video': {
			const streamType = isMpeg1Video(track.config) ? TsStreamType.Mpeg1Video : TsStreamType.Mpeg2Video;
			return new FrameWriter(streamType, 0xe0 + ordinal);
		}
		case 'aac':
			return new AdtsWriter(track, 0xc0 + ordinal);
		case 'mp3':
		case 'mp2':
			return new FrameWriter(mpegAudioStreamType(track), 0xc0 + ordinal);
		case 'ac3':
			return new FrameWriter(TsStreamType.Ac3, PRIVATE_STREAM_1, { descriptors: AC3_REGISTRATION });
		case 'opus':
			return new OpusWriter(track);
		case 'scte35':
			return new FrameWriter(TsStreamType.Scte35, 0, { programDescriptors: CUEI_REGISTRATION, sections: true });
		default:
			throw new UnsupportedCodecError(track.codec, 'ts', OTHER_CARRIERS);
	}
};

/**
 * MPEG-1 audio (stream_type 0x03) runs at 32 kHz and up; MPEG-2's lower sampling frequencies
 * (ISO/IEC 13818-3 §2.4.2.3) take the MPEG-2 audio stream_type 0x04. Layer II and III alike.
 */
const mpegAudioStreamType = (track: Track): number =>
	(track.audio?.sampleRate ?? 48_000) >= 32_000 ? TsStreamType.Mpeg1Audio : TsStreamType.Mpeg2Audio;

const NO_DESCRIPTORS = new Uint8Array(0);
/** stream_id of private_stream_1 (ISO/IEC 13818-1 Table 2-22): AC-3 and Opus PES. */
const PRIVATE_STREAM_1 = 0xbd;
/** registration_descriptor (tag 5, §2.6.8) with format_identifier 'AC-3' (ATSC A/52 Annex A). */
const AC3_REGISTRATION = Uint8Array.of(0x05, 4, 0x41, 0x43, 0x2d, 0x33);
/** registration_descriptor with format_identifier 'CUEI', in the program_info loop (ANSI/SCTE 35 §8.1). */
const CUEI_REGISTRATION = Uint8Array.of(0x05, 4, 0x43, 0x55, 0x45, 0x49);

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
	readonly programDescriptors = NO_DESCRIPTORS;
	readonly sections = false;
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
		const parameterSets = parameterSetsAnnexB(h264 ? 'h264' : 'h265', track.config);
		this.#keyframePrefix = new Uint8Array(this.#delimiter.length + parameterSets.length);
		this.#keyframePrefix.set(this.#delimiter);
		this.#keyframePrefix.set(parameterSets, this.#delimiter.length);
	}

	write(packet: Packet, out: GrowableBuffer): void {
		const data = packet.data;
		out.append(packet.keyframe ? this.#keyframePrefix : this.#delimiter);
		const spans = this.#spans;
		scanLengthPrefixed(data, spans);
		// ours is already written
		for (let i = 0; i < spans.count; i++)
			if (this.#nalType(data[spans.starts[i]!]!) === this.#delimiterType) spans.keep[i] = 0;
		appendAnnexB(data, spans, out);
	}
}

/** AAC as ADTS (stream_type 0x0F, ISO/IEC 13818-1 §2.4.4.9): a 7-byte header before each raw frame. */
class AdtsWriter implements EsPayloadWriter {
	readonly streamType = TsStreamType.AacAdts;
	readonly streamId: number;
	readonly descriptors = NO_DESCRIPTORS;
	readonly programDescriptors = NO_DESCRIPTORS;
	readonly sections = false;
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

/** What a FrameWriter's stream needs in the PMT beyond its stream_type, and how it is packetized. */
type FrameStreamOptions = {
	readonly descriptors?: Uint8Array;
	readonly programDescriptors?: Uint8Array;
	readonly sections?: boolean;
};

/**
 * Codecs whose bus payload is their PID's payload as is: MPEG-1/2 video (stream_type 0x01/0x02,
 * the picture with its start codes and any sequence header before it), MPEG audio Layer II and
 * III (0x03/0x04), AC-3 (0x81) in PES; SCTE-35 (0x86) as whole splice_info_sections, one per
 * packet, each starting a TS packet after a pointer_field (ISO/IEC 13818-1 §2.4.4.1).
 */
class FrameWriter implements EsPayloadWriter {
	readonly streamType: number;
	readonly streamId: number;
	readonly descriptors: Uint8Array;
	readonly programDescriptors: Uint8Array;
	readonly sections: boolean;

	constructor(streamType: number, streamId: number, options: FrameStreamOptions = {}) {
		this.streamType = streamType;
		this.streamId = streamId;
		this.descriptors = options.descriptors ?? NO_DESCRIPTORS;
		this.programDescriptors = options.programDescriptors ?? NO_DESCRIPTORS;
		this.sections = options.sections ?? false;
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
	readonly programDescriptors = NO_DESCRIPTORS;
	readonly sections = false;
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
