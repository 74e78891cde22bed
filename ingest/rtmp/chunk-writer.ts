/**
 * Splits outgoing RTMP messages into chunks (Adobe RTMP specification 1.0 §5.3). Every message
 * starts with a fmt 0 header (absolute timestamp, so no delta state can go wrong) and continues
 * in fmt 3 chunks, which repeat the extended timestamp when there is one, as §5.3.1.3 readers
 * expect. We send commands and control messages only, so clarity beats header compression.
 */
import { TapedeckError } from '../../src/core/errors.ts';
import { MAX_CHUNK_SIZE } from './chunk-reader.ts';

const EXTENDED = 0xffffff;
const TWO_POW_32 = 4294967296;

export class ChunkWriter {
	/** Our chunk size; change it only together with sending Set Chunk Size to the peer. */
	private size = 128;

	constructor(private readonly send: (bytes: Uint8Array) => void) {}

	get chunkSize(): number {
		return this.size;
	}

	set chunkSize(size: number) {
		if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
			throw new TapedeckError('invalid_argument', `RTMP: chunk size ${size} outside 1..${MAX_CHUNK_SIZE}`);
		}
		this.size = size;
	}

	write(chunkStreamId: number, type: number, streamId: number, timestamp: number, payload: Uint8Array): void {
		if (payload.length > 0xffffff) {
			throw new TapedeckError('invalid_argument', `RTMP: message of ${payload.length} bytes exceeds 16777215`);
		}
		const ts = timestamp % TWO_POW_32;
		const extended = ts >= EXTENDED;
		const basic = chunkStreamId < 64 ? 1 : chunkStreamId < 320 ? 2 : 3;
		const chunks = Math.max(1, Math.ceil(payload.length / this.size));
		const continuation = basic + (extended ? 4 : 0);
		const out = new Uint8Array(basic + 11 + (extended ? 4 : 0) + payload.length + (chunks - 1) * continuation);
		let p = this.basicHeader(out, 0, 0, chunkStreamId);
		writeU24(out, p, extended ? EXTENDED : ts);
		writeU24(out, p + 3, payload.length);
		out[p + 6] = type;
		// §5.3.1.2.1: message stream id, little-endian.
		out[p + 7] = streamId % 256;
		out[p + 8] = Math.floor(streamId / 256) % 256;
		out[p + 9] = Math.floor(streamId / 65536) % 256;
		out[p + 10] = Math.floor(streamId / 16777216) % 256;
		p += 11;
		for (let offset = 0; ; ) {
			if (extended) p = writeU32(out, p, ts);
			const end = Math.min(offset + this.size, payload.length);
			out.set(payload.subarray(offset, end), p);
			p += end - offset;
			offset = end;
			if (offset >= payload.length) break;
			p = this.basicHeader(out, p, 3, chunkStreamId);
		}
		this.send(out);
	}

	/** §5.3.1.1: ids 2–63 in one byte, 64–319 in two, larger in three. */
	private basicHeader(out: Uint8Array, p: number, fmt: number, id: number): number {
		if (id < 64) {
			out[p] = fmt * 64 + id;
			return p + 1;
		}
		if (id < 320) {
			out[p] = fmt * 64;
			out[p + 1] = id - 64;
			return p + 2;
		}
		out[p] = fmt * 64 + 1;
		out[p + 1] = (id - 64) % 256;
		out[p + 2] = Math.floor((id - 64) / 256);
		return p + 3;
	}
}

const writeU24 = (out: Uint8Array, p: number, v: number): void => {
	out[p] = Math.floor(v / 65536) % 256;
	out[p + 1] = Math.floor(v / 256) % 256;
	out[p + 2] = v % 256;
};

const writeU32 = (out: Uint8Array, p: number, v: number): number => {
	out[p] = Math.floor(v / 16777216) % 256;
	writeU24(out, p + 1, v % 16777216);
	return p + 4;
};
