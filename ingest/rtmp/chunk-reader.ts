/**
 * Reassembles RTMP messages from the chunk stream (Adobe RTMP specification 1.0 §5.3).
 *
 * Each chunk: basic header (fmt + chunk stream id, 1–3 bytes) · message header (11, 7, 3 or 0
 * bytes for fmt 0–3) · extended timestamp (4 bytes when the 24-bit field is 0xFFFFFF, repeated
 * on fmt 3 chunks of such a stream, as ffmpeg, nginx and Flash send it) · up to chunk-size bytes of
 * payload. Messages of different chunk streams interleave at chunk boundaries.
 *
 * Bytes arrive in any split. Payload bytes are copied straight into the message's per-chunk-stream
 * buffer (reused across messages); only a header cut by a read is held back, in a small carry
 * buffer. A message that sits whole in one read is delivered as a view, without a copy.
 * Hostile streams are bounded: message length, number of chunk streams and bytes of unfinished
 * messages all have limits, and breaking one throws a `corrupt_input` TapedeckError.
 */
import { GrowableBuffer } from '../../src/bytes/growable-buffer.ts';
import { TapedeckError } from '../../src/core/errors.ts';

/** Receives each complete message; `payload` is valid only during the call. */
export type MessageSink = (type: number, streamId: number, timestamp: number, payload: Uint8Array) => void;

export type ChunkReaderOptions = {
	/** Longest message accepted (default 8 MiB: a 4K intra frame at a high bitrate fits). */
	readonly maxMessageBytes?: number;
	/** Chunk streams one peer may open (default 32; encoders use fewer than 10). */
	readonly maxChunkStreams?: number;
	/** Buffer capacity held for unfinished and reassembled messages, all chunk streams together (default 32 MiB). */
	readonly maxBufferedBytes?: number;
};

/** §5.3.1.2: message header length per fmt. */
const MESSAGE_HEADER_LENGTH = [11, 7, 3, 0] as const;
const EXTENDED = 0xffffff;
/** Longest chunk header: 3-byte basic header, 11-byte message header, 4-byte extended timestamp. */
const MAX_HEADER = 18;
/** §5.4.1: chunk sizes are 31-bit; more than a message can hold (24-bit length) is meaningless. */
export const MAX_CHUNK_SIZE = 0xffffff;
const TWO_POW_32 = 4294967296;

/** What a chunk stream remembers from earlier headers (§5.3.1.2: later fmts inherit fields). */
type ChunkStream = {
	timestamp: number;
	/** The last timestamp field: a delta after fmt 1/2, the absolute value after fmt 0 (ffmpeg reads it so too). */
	delta: number;
	length: number;
	type: number;
	streamId: number;
	extended: boolean;
	/** Payload bytes of the message in progress; its `length` is the bytes received so far. */
	buffer: GrowableBuffer;
};

export class ChunkReader {
	private readonly maxMessageBytes: number;
	private readonly maxChunkStreams: number;
	private readonly maxBufferedBytes: number;
	private readonly streams = new Map<number, ChunkStream>();
	/** A chunk header cut at the end of a read, completed by the next. */
	private readonly carry = new GrowableBuffer(64);
	/** Capacity of every chunk stream buffer together. */
	private bufferedBytes = 0;
	/** The chunk being read: its stream and how many payload bytes of it are still to come. */
	private current: ChunkStream | undefined;
	private chunkRemaining = 0;
	/** The peer's chunk size (§5.4.1), 128 until it sends Set Chunk Size. */
	private chunkSize = 128;
	/** Messages dropped by an Abort or by a new message header arriving mid-message. */
	abortedMessages = 0;

	constructor(
		private readonly sink: MessageSink,
		options: ChunkReaderOptions = {},
	) {
		this.maxMessageBytes = options.maxMessageBytes ?? 8 * 1024 * 1024;
		this.maxChunkStreams = options.maxChunkStreams ?? 32;
		this.maxBufferedBytes = options.maxBufferedBytes ?? 32 * 1024 * 1024;
	}

	/**
	 * Applies the peer's Set Chunk Size from the next chunk. §5.4.1: 31 bits, at least 1; sizes past
	 * the longest possible message mean "never split" and are clamped to it.
	 */
	setChunkSize(size: number): void {
		if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) {
			throw new TapedeckError('corrupt_input', `RTMP: chunk size ${size} outside 1..2147483647`);
		}
		this.chunkSize = Math.min(size, MAX_CHUNK_SIZE);
	}

	/** §5.4.2 Abort Message: drops what was received of the chunk stream's current message. */
	abort(chunkStreamId: number): void {
		const stream = this.streams.get(chunkStreamId);
		if (!stream || stream.buffer.length === 0) return;
		stream.buffer.length = 0;
		this.abortedMessages++;
		if (this.current === stream) this.chunkRemaining = 0;
	}

	push(bytes: Uint8Array): void {
		if (this.carry.length === 0) {
			const used = this.parse(bytes, 0, bytes.length);
			if (used < bytes.length) this.carry.append(bytes, used);
			return;
		}
		// A header was cut: complete it from the new read, then carry on in the read itself.
		const had = this.carry.length;
		this.carry.append(bytes, 0, Math.min(bytes.length, MAX_HEADER));
		const used = this.parse(this.carry.bytes, 0, this.carry.length);
		if (used < had) {
			// Still not a whole header (a tiny read): keep everything.
			this.carry.length = had;
			this.carry.append(bytes);
			return;
		}
		this.carry.length = 0;
		const start = used - had;
		const rest = this.parse(bytes, start, bytes.length);
		if (rest < bytes.length) this.carry.append(bytes, rest);
	}

	/** Parses chunks in `data[start, end)`; returns where an incomplete header begins (or `end`). */
	private parse(data: Uint8Array, start: number, end: number): number {
		let p = start;
		while (p < end) {
			if (this.chunkRemaining > 0) {
				p = this.payload(data, p, end);
				continue;
			}
			const next = this.header(data, p, end);
			if (next < 0) return p;
			p = next;
		}
		return p;
	}

	/** Reads one chunk header at `p`; returns the offset after it, or -1 if it is not all there yet. */
	private header(data: Uint8Array, p: number, end: number): number {
		const first = data[p]!;
		const fmt = first >> 6;
		let id = first & 0x3f;
		let q = p + 1;
		// §5.3.1.1: ids 0 and 1 announce a 2- or 3-byte basic header.
		if (id === 0) {
			if (end - q < 1) return -1;
			id = 64 + data[q]!;
			q += 1;
		} else if (id === 1) {
			if (end - q < 2) return -1;
			id = 64 + data[q]! + data[q + 1]! * 256;
			q += 2;
		}
		const headerLength = MESSAGE_HEADER_LENGTH[fmt as 0 | 1 | 2 | 3];
		if (end - q < headerLength) return -1;
		const stream = this.streamFor(id);
		const field = fmt < 3 ? data[q]! * 65536 + data[q + 1]! * 256 + data[q + 2]! : stream.delta;
		const extended = fmt < 3 ? field === EXTENDED : stream.extended;
		if (end - q < headerLength + (extended ? 4 : 0)) return -1;
		let timestampField = field;
		if (extended) {
			const e = q + headerLength;
			timestampField = data[e]! * 16777216 + data[e + 1]! * 65536 + data[e + 2]! * 256 + data[e + 3]!;
		}
		const starting = stream.buffer.length === 0;
		if (fmt < 3 && !starting) {
			// A new message header while one is unfinished: the old one can never complete.
			stream.buffer.length = 0;
			this.abortedMessages++;
		}
		if (fmt < 3 || starting) this.beginMessage(stream, fmt, data, q, timestampField, extended);
		this.current = stream;
		this.chunkRemaining = Math.min(this.chunkSize, stream.length - stream.buffer.length);
		const after = q + headerLength + (extended ? 4 : 0);
		if (stream.length === 0) {
			this.sink(stream.type, stream.streamId, stream.timestamp, data.subarray(after, after));
		} else if (starting && this.chunkRemaining === stream.length && end - after >= stream.length) {
			// The whole message is in this read: hand over a view.
			this.chunkRemaining = 0;
			this.sink(stream.type, stream.streamId, stream.timestamp, data.subarray(after, after + stream.length));
			return after + stream.length;
		}
		return after;
	}

	/** §5.3.1.2: fields a header carries replace the stream's; fmt 0 sets the timestamp, the others add a delta. */
	private beginMessage(
		stream: ChunkStream,
		fmt: number,
		data: Uint8Array,
		q: number,
		timestampField: number,
		extended: boolean,
	): void {
		if (fmt <= 1) {
			const length = data[q + 3]! * 65536 + data[q + 4]! * 256 + data[q + 5]!;
			if (length > this.maxMessageBytes) {
				throw new TapedeckError(
					'corrupt_input',
					`RTMP: message length ${length} exceeds the limit of ${this.maxMessageBytes} bytes`,
				);
			}
			stream.length = length;
			stream.type = data[q + 6]!;
		}
		if (fmt === 0) {
			// §5.3.1.2.1: the message stream id is little-endian.
			stream.streamId = data[q + 7]! + data[q + 8]! * 256 + data[q + 9]! * 65536 + data[q + 10]! * 16777216;
			stream.timestamp = timestampField;
		} else {
			stream.timestamp = (stream.timestamp + timestampField) % TWO_POW_32;
		}
		if (fmt < 3) {
			stream.delta = timestampField;
			stream.extended = extended;
		}
	}

	private payload(data: Uint8Array, p: number, end: number): number {
		const stream = this.current!;
		const take = Math.min(this.chunkRemaining, end - p);
		const buffer = stream.buffer;
		const capacity = buffer.bytes.length;
		if (buffer.length + take > capacity) this.admitGrowth(capacity, buffer.length + take);
		buffer.append(data, p, p + take);
		this.bufferedBytes += buffer.bytes.length - capacity;
		this.chunkRemaining -= take;
		if (buffer.length === stream.length) {
			this.chunkRemaining = 0;
			this.sink(stream.type, stream.streamId, stream.timestamp, buffer.view());
			buffer.length = 0;
			this.releaseIfOverBudget(stream);
		}
		return p + take;
	}

	/** Refuses a buffer growth (by doubling, as `GrowableBuffer` does) that would break the budget. */
	private admitGrowth(capacity: number, needed: number): void {
		let size = capacity * 2;
		while (size < needed) size *= 2;
		if (this.bufferedBytes - capacity + size > this.maxBufferedBytes) {
			throw new TapedeckError(
				'corrupt_input',
				`RTMP: unfinished messages would hold more than ${this.maxBufferedBytes} bytes`,
			);
		}
	}

	/** Keeps reused buffers from adding up across chunk streams: past half the budget, a finished one is let go. */
	private releaseIfOverBudget(stream: ChunkStream): void {
		if (this.bufferedBytes <= this.maxBufferedBytes / 2) return;
		this.bufferedBytes -= stream.buffer.bytes.length;
		stream.buffer = new GrowableBuffer(256);
		this.bufferedBytes += stream.buffer.bytes.length;
	}

	private streamFor(id: number): ChunkStream {
		let stream = this.streams.get(id);
		if (stream) return stream;
		if (this.streams.size >= this.maxChunkStreams) {
			throw new TapedeckError('corrupt_input', `RTMP: more than ${this.maxChunkStreams} chunk streams (id ${id})`);
		}
		stream = {
			timestamp: 0,
			delta: 0,
			length: 0,
			type: 0,
			streamId: 0,
			extended: false,
			buffer: new GrowableBuffer(256),
		};
		this.bufferedBytes += 256;
		this.streams.set(id, stream);
		return stream;
	}
}
