/**
 * One RTMP connection without its socket: handshake, chunk streams and the protocol control
 * layer (Adobe RTMP specification 1.0 §5.4, §6.2, §7.1), shared by the listener's sessions and
 * the puller. What is left for the owner are commands, data and media messages.
 *
 * Control handled here: Set Chunk Size and Abort feed the chunk reader; Window Acknowledgement
 * Size from the peer makes us acknowledge every window (node-media-server never does, and
 * some encoders stall on that); Ping Request is answered. Bytes go out through `send`.
 */
import { Amf0Writer, type AmfValue, decodeAmf0 } from '../../src/bytes/amf0.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { ChunkReader, type ChunkReaderOptions } from './chunk-reader.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { ClientHandshake } from './client-handshake.ts';
import { ChunkStreamId, MessageType, UserControlEvent } from './rtmp-message.ts';
import { ServerHandshake } from './server-handshake.ts';

export interface RtmpMessageHandler {
	/** The handshake is done: a client sends `connect` now. */
	ready(): void;
	/** A command message (`connect`, `publish`, `_result`, `onStatus`, …): name, transaction id, object, arguments. */
	command(streamId: number, values: AmfValue[]): void;
	/** A data message body in AMF0 (`@setDataFrame`, `onMetaData`), the AMF3 format byte removed. */
	data(streamId: number, timestamp: number, body: Uint8Array): void;
	/** An audio (8) or video (9) message: an FLV tag body. */
	media(type: number, streamId: number, timestamp: number, body: Uint8Array): void;
	/** User control events other than ping (StreamBegin, StreamEOF, …). */
	userControl(event: number, value: number): void;
}

const TWO_POW_32 = 4294967296;
/** §7.1.6 aggregate sub-message header: type, size (3), timestamp (3 + 1 extension), stream id (3). */
const SUB_HEADER = 11;
const BACK_POINTER = 4;

export class RtmpConnection {
	private readonly reader: ChunkReader;
	private readonly writer: ChunkWriter;
	private readonly amf = new Amf0Writer();
	private handshake: ServerHandshake | ClientHandshake | undefined;
	/** §5.4.3: bytes received, modulo 2^32, and where the last acknowledgement was sent. */
	private received = 0;
	private acknowledged = 0;
	/** The peer's Window Acknowledgement Size; 0 until it sends one. */
	private window = 0;
	/** Total bytes received, for stats. */
	bytesIn = 0;
	/** Whether the peer completed the digest handshake (a signed C1, or a signed S1). */
	digestHandshake = false;

	constructor(
		role: 'server' | 'client',
		send: (bytes: Uint8Array) => void,
		private readonly handler: RtmpMessageHandler,
		options: ChunkReaderOptions = {},
	) {
		this.handshake = role === 'server' ? new ServerHandshake(send) : new ClientHandshake(send);
		this.reader = new ChunkReader(
			(type, streamId, timestamp, payload) => this.message(type, streamId, timestamp, payload),
			options,
		);
		this.writer = new ChunkWriter(send);
	}

	/** A client starts the handshake (C0 + C1). */
	start(): void {
		if (this.handshake instanceof ClientHandshake) this.handshake.start();
	}

	/** Bytes from the socket; throws a TapedeckError on a protocol violation (then close the socket). */
	push(bytes: Uint8Array): void {
		this.bytesIn += bytes.length;
		let rest: Uint8Array | undefined = bytes;
		const handshake = this.handshake;
		if (handshake) {
			rest = handshake.push(bytes);
			if (rest === undefined) return;
			this.digestHandshake = handshake.digest;
			this.handshake = undefined;
			this.handler.ready();
		}
		if (rest.length === 0) return;
		this.reader.push(rest);
		this.acknowledge(rest.length);
	}

	get abortedMessages(): number {
		return this.reader.abortedMessages;
	}

	/** Sends a command on the command chunk stream. */
	command(streamId: number, ...values: readonly AmfValue[]): void {
		const amf = this.amf;
		amf.reset();
		for (const value of values) amf.writeValue(value);
		this.writer.write(ChunkStreamId.command, MessageType.commandAmf0, streamId, 0, amf.bytes());
	}

	/** `onStatus` for a NetStream (§7.2.2): level `status` or `error`, a code, a description. */
	status(streamId: number, level: 'status' | 'error', code: string, description: string): void {
		this.command(streamId, 'onStatus', 0, null, { level, code, description });
	}

	/** Changes our chunk size and tells the peer first (§5.4.1). */
	setChunkSize(size: number): void {
		this.control(MessageType.setChunkSize, u32(size));
		this.writer.chunkSize = size;
	}

	windowAckSize(size: number): void {
		this.control(MessageType.windowAckSize, u32(size));
	}

	/** §5.4.5: limit type 2 = dynamic. */
	peerBandwidth(size: number, limitType: 0 | 1 | 2): void {
		const payload = new Uint8Array(5);
		payload.set(u32(size));
		payload[4] = limitType;
		this.control(MessageType.setPeerBandwidth, payload);
	}

	userControl(event: number, value: number): void {
		const payload = new Uint8Array(6);
		payload[1] = event;
		payload.set(u32(value), 2);
		this.control(MessageType.userControl, payload);
	}

	/** §6.2 Set Buffer Length: event 3, stream id, milliseconds. */
	setBufferLength(streamId: number, ms: number): void {
		const payload = new Uint8Array(10);
		payload[1] = UserControlEvent.setBufferLength;
		payload.set(u32(streamId), 2);
		payload.set(u32(ms), 6);
		this.control(MessageType.userControl, payload);
	}

	private control(type: number, payload: Uint8Array): void {
		this.writer.write(ChunkStreamId.control, type, 0, 0, payload);
	}

	private acknowledge(count: number): void {
		this.received = (this.received + count) % TWO_POW_32;
		if (this.window === 0) return;
		const since = (this.received - this.acknowledged + TWO_POW_32) % TWO_POW_32;
		if (since < this.window) return;
		this.acknowledged = this.received;
		this.control(MessageType.acknowledgement, u32(this.received));
	}

	private message(type: number, streamId: number, timestamp: number, payload: Uint8Array): void {
		switch (type) {
			case MessageType.setChunkSize:
				// §5.4.1: bit 31 must be zero; the reader refuses the rest of the impossible values.
				this.reader.setChunkSize(readU32(payload, 0, 'Set Chunk Size'));
				return;
			case MessageType.abort:
				this.reader.abort(readU32(payload, 0, 'Abort'));
				return;
			case MessageType.windowAckSize:
				this.window = readU32(payload, 0, 'Window Acknowledgement Size');
				return;
			case MessageType.userControl:
				this.userControlMessage(payload);
				return;
			case MessageType.commandAmf0:
				this.handler.command(streamId, decodeAmf0(payload));
				return;
			case MessageType.commandAmf3:
				// §7.1.1: an AMF3 command message starts with a format byte (0), then AMF0 with AVM+ switches.
				this.handler.command(streamId, decodeAmf0(skipFormatByte(payload)));
				return;
			case MessageType.dataAmf0:
				this.handler.data(streamId, timestamp, payload);
				return;
			case MessageType.dataAmf3:
				this.handler.data(streamId, timestamp, skipFormatByte(payload));
				return;
			case MessageType.audio:
			case MessageType.video:
				this.handler.media(type, streamId, timestamp, payload);
				return;
			case MessageType.aggregate:
				this.aggregate(streamId, timestamp, payload);
				return;
			default:
				// Acknowledgements, peer bandwidth, shared objects: nothing for an ingest to do.
				return;
		}
	}

	private userControlMessage(payload: Uint8Array): void {
		if (payload.length < 2)
			throw new TapedeckError('corrupt_input', `RTMP: user control message of ${payload.length} bytes`);
		const event = payload[0]! * 256 + payload[1]!;
		const value = payload.length >= 6 ? readU32(payload, 2, 'user control') : 0;
		if (event === UserControlEvent.pingRequest) this.userControl(UserControlEvent.pingResponse, value);
		else if (event !== UserControlEvent.pingResponse) this.handler.userControl(event, value);
	}

	/**
	 * §7.1.6: sub-messages laid out as FLV tags with back pointers; their timestamps are shifted so
	 * the first one lands on the aggregate's own timestamp.
	 */
	private aggregate(streamId: number, timestamp: number, payload: Uint8Array): void {
		let p = 0;
		let base: number | undefined;
		while (p + SUB_HEADER <= payload.length) {
			const type = payload[p]!;
			const size = payload[p + 1]! * 65536 + payload[p + 2]! * 256 + payload[p + 3]!;
			const subTime = payload[p + 7]! * 16777216 + payload[p + 4]! * 65536 + payload[p + 5]! * 256 + payload[p + 6]!;
			const start = p + SUB_HEADER;
			if (start + size > payload.length) {
				throw new TapedeckError('corrupt_input', `RTMP: aggregate sub-message of ${size} bytes overruns its message`);
			}
			base ??= subTime;
			const at = (timestamp + subTime - base + TWO_POW_32) % TWO_POW_32;
			this.message(type === MessageType.aggregate ? 0 : type, streamId, at, payload.subarray(start, start + size));
			p = start + size + BACK_POINTER;
		}
	}
}

const u32 = (value: number): Uint8Array => {
	const bytes = new Uint8Array(4);
	new DataView(bytes.buffer).setUint32(0, value);
	return bytes;
};

const readU32 = (payload: Uint8Array, offset: number, what: string): number => {
	if (payload.length < offset + 4)
		throw new TapedeckError('corrupt_input', `RTMP: ${what} message of ${payload.length} bytes`);
	return payload[offset]! * 16777216 + payload[offset + 1]! * 65536 + payload[offset + 2]! * 256 + payload[offset + 3]!;
};

const skipFormatByte = (payload: Uint8Array): Uint8Array => (payload[0] === 0 ? payload.subarray(1) : payload);
