/**
 * One connection of the RTMP puller to a remote server, playing one stream (Adobe RTMP
 * specification 1.0 §7.2):
 *
 *   connect → _result(NetConnection.Connect.Success) → createStream → _result(stream id)
 *   → play(name) + Set Buffer Length → onStatus(NetStream.Play.Start) → onMetaData, audio, video …
 *
 * The session resolves `done` when the connection ends: the remote stream stopped
 * (Play.Stop / UnpublishNotify / StreamEOF), the server refused, the socket closed or fell silent.
 */
import { connect, type Socket } from 'node:net';
import type { AmfObject, AmfValue } from '../../src/bytes/amf0.ts';
import { type DemuxStats, emptyDemuxStats, type MediaReceiver } from '../../src/core/media-receiver.ts';
import { FlvMediaAssembler } from '../demux/flv/flv-media-assembler.ts';
import type { ChunkReaderOptions } from './chunk-reader.ts';
import { RtmpConnection, type RtmpMessageHandler } from './rtmp-connection.ts';
import { MessageType, UserControlEvent } from './rtmp-message.ts';
import type { RtmpUrl } from './rtmp-url.ts';

export type RtmpPlayOptions = {
	readonly connectTimeoutMs?: number;
	/** Silence after which the server is taken as gone (default 10 s). */
	readonly idleTimeoutMs?: number;
	readonly limits?: ChunkReaderOptions;
};

/** How a play session ended. */
export type PlayOutcome = { readonly delivered: boolean; readonly reason: string };

const TXN_CONNECT = 1;
const TXN_CREATE_STREAM = 2;
const WINDOW_SIZE = 5_000_000;
const BUFFER_MS = 1000;

export class RtmpPlaySession implements RtmpMessageHandler {
	readonly stats: DemuxStats = emptyDemuxStats();
	readonly done: Promise<PlayOutcome>;
	private readonly socket: Socket;
	private readonly connection: RtmpConnection;
	private readonly assembler: FlvMediaAssembler;
	private playStreamId = 0;
	private playing = false;
	private finished = false;
	private finish!: (outcome: PlayOutcome) => void;

	constructor(
		private readonly url: RtmpUrl,
		receiver: MediaReceiver,
		options: RtmpPlayOptions = {},
	) {
		this.done = new Promise((resolve) => {
			this.finish = resolve;
		});
		this.assembler = new FlvMediaAssembler(receiver, this.stats);
		this.connection = new RtmpConnection('client', (bytes) => this.write(bytes), this, options.limits);
		const socket = connect({ host: url.host, port: url.port, noDelay: true });
		this.socket = socket;
		socket.setTimeout(options.connectTimeoutMs ?? 5000);
		socket.once('connect', () => {
			socket.setTimeout(options.idleTimeoutMs ?? 10_000);
			this.connection.start();
		});
		socket.on('data', (bytes: Buffer) => this.receive(bytes));
		socket.on('timeout', () => this.close(this.playing ? 'no data from the server' : 'connection timed out'));
		socket.on('error', (error) => this.close(`socket error: ${error.message}`));
		socket.on('close', () => this.close('server closed the connection'));
	}

	/** Whether the handshake was the digest variant. */
	get digestHandshake(): boolean {
		return this.connection.digestHandshake;
	}

	/** Closes the connection; `done` resolves with `reason` unless it already resolved. */
	close(reason: string): void {
		if (this.finished) return;
		this.finished = true;
		this.socket.destroy();
		this.assembler.end();
		this.finish({ delivered: this.stats.packets > 0, reason });
	}

	ready(): void {
		const { app, tcUrl } = this.url;
		this.connection.command(0, 'connect', TXN_CONNECT, {
			app,
			flashVer: 'LNX 9,0,124,2',
			tcUrl,
			fpad: false,
			capabilities: 15,
			audioCodecs: 4071,
			videoCodecs: 252,
			videoFunction: 1,
			objectEncoding: 0,
		});
	}

	command(_streamId: number, values: AmfValue[]): void {
		const [name, transaction] = values;
		const info = values[3];
		switch (name) {
			case '_result':
				if (transaction === TXN_CONNECT) this.connected(info);
				else if (transaction === TXN_CREATE_STREAM) this.play(info);
				return;
			case '_error':
				this.close(`server refused ${transaction === TXN_CONNECT ? 'connect' : 'createStream'}: ${describe(info)}`);
				return;
			case 'onStatus':
				this.status(info);
				return;
			default:
				// onBWDone, onFCSubscribe, |RtmpSampleAccess…: nothing to answer.
				return;
		}
	}

	/**
	 * One stream is played per connection, so media and data are taken whatever message stream id
	 * they carry once `play` went out: node-media-server sends them on stream 0.
	 */
	data(_streamId: number, _timestamp: number, body: Uint8Array): void {
		if (this.playStreamId !== 0) this.assembler.script(body);
	}

	media(type: number, _streamId: number, timestamp: number, body: Uint8Array): void {
		if (this.playStreamId === 0) return;
		if (type === MessageType.video) this.assembler.video(body, timestamp);
		else this.assembler.audio(body, timestamp);
	}

	userControl(event: number, value: number): void {
		if (event === UserControlEvent.streamEof && value === this.playStreamId && this.playing) {
			this.close('the server ended the stream (StreamEOF)');
		}
	}

	private receive(bytes: Buffer): void {
		if (this.finished) return;
		this.stats.bytes += bytes.length;
		try {
			this.connection.push(bytes);
		} catch (error) {
			this.close(`protocol error: ${(error as Error).message}`);
		}
	}

	private connected(info: AmfValue): void {
		const code = isObject(info) ? info['code'] : undefined;
		if (code !== 'NetConnection.Connect.Success') {
			this.close(`connect failed: ${describe(info)}`);
			return;
		}
		this.connection.windowAckSize(WINDOW_SIZE);
		this.connection.command(0, 'createStream', TXN_CREATE_STREAM, null);
	}

	private play(streamIdValue: AmfValue): void {
		if (typeof streamIdValue !== 'number') {
			this.close(`createStream returned ${String(streamIdValue)}, not a stream id`);
			return;
		}
		this.playStreamId = streamIdValue;
		// §7.2.2.1 play: stream name, start -2000 = live if there is one, else recorded.
		this.connection.command(streamIdValue, 'play', 0, null, this.url.stream, -2000);
		this.connection.setBufferLength(streamIdValue, BUFFER_MS);
	}

	/** §7.2.2: NetStream status codes the player acts on. */
	private status(info: AmfValue): void {
		const code = isObject(info) ? info['code'] : undefined;
		const level = isObject(info) ? info['level'] : undefined;
		if (code === 'NetStream.Play.Start' || code === 'NetStream.Play.Reset') {
			this.playing = true;
		} else if (code === 'NetStream.Play.Stop' || code === 'NetStream.Play.UnpublishNotify') {
			if (this.playing) this.close(`the server ended the stream (${code})`);
		} else if (level === 'error') {
			this.close(`play failed: ${describe(info)}`);
		}
	}

	private write(bytes: Uint8Array): void {
		if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
	}
}

const isObject = (value: AmfValue): value is AmfObject =>
	typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

const describe = (info: AmfValue): string => {
	if (!isObject(info)) return String(info);
	const { code, description } = info;
	return [code, description].filter((v) => typeof v === 'string').join(': ') || 'no details';
};
