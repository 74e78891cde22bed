import { Buffer } from 'node:buffer';
import { BitReader } from '../bytes/bit-reader.ts';
import { bytesEqual } from '../bytes/bytes-equal.ts';
import { TapedeckError } from '../core/errors.ts';
import { type AacConfig, parseAudioSpecificConfig } from './aac.ts';

/**
 * AAC in LATM (ISO/IEC 14496-3 §1.7): the AudioMuxElement that carries raw AAC frames with the
 * StreamMuxConfig that describes them, in MPEG-TS inside the LOAS AudioSyncStream (stream_type
 * 0x11, §1.7.2) and over RTP as MP4A-LATM (RFC 6416 §6, config out of band). Read here: the simple
 * configurations encoders write — one program, one layer, frameLengthType 0 (byte lengths),
 * audioMuxVersion 0 or 1 with audioMuxVersionA 0. Others are refused with a clear error.
 */

/** The parts of a StreamMuxConfig (§1.7.3.1 Table 1.42) an AudioMuxElement's layout depends on. */
export type LatmConfig = {
	readonly audioMuxVersion: number;
	/** numSubFrames + 1: raw frames per AudioMuxElement. */
	readonly subFrames: number;
	/** otherDataLenBits: bits of other data after the payloads. */
	readonly otherDataBits: number;
	readonly crcPresent: boolean;
	/** The AudioSpecificConfig, byte aligned (what MP4 and the bus carry). */
	readonly audioSpecificConfig: Uint8Array;
	readonly aac: AacConfig;
};

/** LOAS syncword 0x2B7 (11 bits), then audioMuxLengthBytes (13 bits): 3 header bytes (§1.7.2 Table 1.38). */
export const LOAS_HEADER_LENGTH = 3;
export const LOAS_SYNC_BYTE = 0x56;

/** Bytes of the AudioMuxElement after a LOAS header at `data[at]`, or −1 when there is no syncword there. */
export const loasMuxLength = (data: Uint8Array, at: number): number => {
	if (at + LOAS_HEADER_LENGTH > data.length) return -1;
	if (data[at] !== LOAS_SYNC_BYTE || data[at + 1]! >> 5 !== 0x07) return -1; // 0x2B7 = 0101 0110 111
	return ((data[at + 1]! & 0x1f) << 8) | data[at + 2]!;
};

/** LatmGetValue() (§1.7.3.1): bytesForValue (2 bits), then that many + 1 bytes. */
const latmGetValue = (r: BitReader): number => {
	const bytes = r.readBits(2) + 1;
	let value = 0;
	for (let i = 0; i < bytes; i++) value = value * 256 + r.readBits(8);
	return value;
};

const unsupported = (what: string): TapedeckError =>
	new TapedeckError('unsupported', `LATM: ${what} is not supported (one program, one layer, byte lengths only)`);

/**
 * Reads a StreamMuxConfig. `previous` is returned when the AudioSpecificConfig and layout are the
 * same, so a stream that repeats its config allocates nothing new.
 */
export const readStreamMuxConfig = (data: Uint8Array, r: BitReader, previous?: LatmConfig): LatmConfig => {
	const audioMuxVersion = r.readBit();
	if (audioMuxVersion === 1 && r.readBit() === 1) throw unsupported('audioMuxVersionA 1');
	if (audioMuxVersion === 1) latmGetValue(r); // taraBufferFullness
	r.readBit(); // allStreamsSameTimeFraming
	const subFrames = r.readBits(6) + 1; // numSubFrames
	if (r.readBits(4) !== 0) throw unsupported('more than one program'); // numProgram
	if (r.readBits(3) !== 0) throw unsupported('more than one layer'); // numLayer
	const ascLength = audioMuxVersion === 1 ? latmGetValue(r) : -1; // ascLen, with fill bits
	const configStart = r.bitPosition;
	skipAudioSpecificConfig(data, r);
	const configBits = r.bitPosition - configStart;
	if (ascLength > configBits) r.skipBits(ascLength - configBits); // fillBits
	// Some writers (GStreamer's rtpmp4apay config=) end the config early: missing fields read as 0.
	const field = (bits: number): number => (r.bitsLeft >= bits ? r.readBits(bits) : 0);
	if (field(3) !== 0) throw unsupported('frameLengthType other than 0'); // frameLengthType
	field(8); // latmBufferFullness
	let otherDataBits = 0;
	if (field(1)) {
		// otherDataPresent
		if (audioMuxVersion === 1) otherDataBits = latmGetValue(r);
		else {
			let more = 1;
			while (more) {
				more = r.readBit(); // otherDataLenEsc
				otherDataBits = otherDataBits * 256 + r.readBits(8); // otherDataLenTmp
			}
		}
	}
	const crcPresent = field(1) === 1;
	if (crcPresent) field(8); // crcCheckSum
	const asc = new Uint8Array(Math.ceil(configBits / 8));
	copyBits(data, configStart, configBits, asc);
	if (
		previous &&
		previous.audioMuxVersion === audioMuxVersion &&
		previous.subFrames === subFrames &&
		previous.otherDataBits === otherDataBits &&
		previous.crcPresent === crcPresent &&
		bytesEqual(previous.audioSpecificConfig, asc)
	) {
		return previous;
	}
	return {
		audioMuxVersion,
		subFrames,
		otherDataBits,
		crcPresent,
		audioSpecificConfig: asc,
		aac: parseAudioSpecificConfig(asc),
	};
};

/** Reads a StreamMuxConfig from hex (the `config=` of an RTP MP4A-LATM fmtp line, RFC 6416 §7.3). */
export const parseStreamMuxConfigHex = (hex: string): LatmConfig => {
	if (!/^([0-9a-fA-F]{2})+$/.test(hex))
		throw new TapedeckError('invalid_argument', `LATM config "${hex}" is not hex bytes`);
	const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
	return readStreamMuxConfig(bytes, new BitReader(bytes));
};

/**
 * Skips an AudioSpecificConfig (§1.6.2.1) whose length the bitstream does not give (audioMuxVersion
 * 0): object type, rate, channels, SBR/PS signalling, then GASpecificConfig (§4.4.1) and epConfig.
 */
const skipAudioSpecificConfig = (data: Uint8Array, r: BitReader): void => {
	const objectType = (): number => {
		const type = r.readBits(5);
		return type === 31 ? 32 + r.readBits(6) : type;
	};
	const rate = (): void => {
		if (r.readBits(4) === 15) r.readBits(24);
	};
	let type = objectType();
	rate();
	const channelConfig = r.readBits(4);
	if (type === 5 || type === 29) {
		rate();
		type = objectType();
	}
	if (![1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23].includes(type)) throw unsupported(`audio object type ${type}`);
	if (channelConfig === 0) throw unsupported('a program_config_element');
	r.readBit(); // frameLengthFlag
	if (r.readFlag()) r.readBits(14); // dependsOnCoreCoder, coreCoderDelay
	const extension = r.readFlag();
	if (type === 6 || type === 20) r.readBits(3); // layerNr
	if (extension) {
		if (type === 22) r.readBits(16); // numOfSubFrame, layer_length
		if (type === 17 || type === 19 || type === 20 || type === 23) r.readBits(3); // resilience flags
		r.readBit(); // extensionFlag3
	}
	if (type === 17 || (type >= 19 && type <= 27)) r.readBits(2); // epConfig
	// backward-compatible SBR/PS signalling (§1.6.5.2): syncExtensionType 0x2B7, then 0x548 for PS
	if (r.bitsLeft >= 16 && peekBits(data, r.bitPosition, 11) === 0x2b7) {
		r.readBits(11);
		if (objectType() === 5 && r.readFlag()) {
			rate(); // sbrPresentFlag, extensionSamplingFrequencyIndex
			if (r.bitsLeft >= 12 && peekBits(data, r.bitPosition, 11) === 0x548) r.readBits(12); // psPresentFlag
		}
	}
};

/** `n` bits from bit `at` of `data`, without moving a reader; bits past the end read as 0. */
const peekBits = (data: Uint8Array, at: number, n: number): number => {
	let value = 0;
	for (let i = at; i < at + n; i++) value = value * 2 + (((data[i >> 3] ?? 0) >> (7 - (i & 7))) & 1);
	return value;
};

/**
 * Reads the payload of one AudioMuxElement (§1.7.3.1) that holds one raw frame, and copies that
 * frame byte-aligned into `out` (which must be large enough: the element's length). Returns the
 * config in force and the frame's length, or throws for a layout not read here.
 */
export const readAudioMuxElement = (
	data: Uint8Array,
	r: BitReader,
	muxConfigPresent: boolean,
	config: LatmConfig | undefined,
	out: Uint8Array,
): { config: LatmConfig; length: number } => {
	let current = config;
	if (muxConfigPresent && !r.readFlag()) current = readStreamMuxConfig(data, r, config); // useSameStreamMux
	if (!current) throw new TapedeckError('corrupt_input', 'LATM: a frame before any StreamMuxConfig');
	if (current.subFrames !== 1) throw unsupported(`${current.subFrames} frames per AudioMuxElement`);
	let length = 0;
	let byte = 255;
	while (byte === 255) {
		byte = r.readBits(8); // MuxSlotLengthBytes: PayloadLengthInfo
		length += byte;
	}
	if (length > out.length || length * 8 > r.bitsLeft)
		throw new TapedeckError('corrupt_input', 'LATM: payload past the element');
	copyBits(data, r.bitPosition, length * 8, out);
	r.skipBits(length * 8);
	return { config: current, length };
};

/** Copies `bits` bits from bit `from` of `data` into `out` from its first byte, MSB first; the last byte is zero-padded. */
const copyBits = (data: Uint8Array, from: number, bits: number, out: Uint8Array): void => {
	const shift = from & 7;
	let at = from >> 3;
	const bytes = Math.ceil(bits / 8);
	for (let i = 0; i < bytes; i++, at++) {
		out[i] = shift === 0 ? data[at]! : ((data[at]! << shift) | ((data[at + 1] ?? 0) >> (8 - shift))) & 0xff;
	}
	const spare = bytes * 8 - bits;
	if (spare > 0) out[bytes - 1] = out[bytes - 1]! & (0xff << spare) & 0xff;
};
