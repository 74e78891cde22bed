/**
 * One publisher connected to the RTMP listener: the NetConnection/NetStream command exchange
 * (Adobe RTMP specification 1.0 §7.2) of an encoder (ffmpeg, OBS, vMix, hardware encoders):
 *
 *   connect → _result(NetConnection.Connect.Success)
 *   releaseStream, FCPublish → _result;  createStream → _result(stream id)
 *   publish(name) → [authorize] → StreamBegin, onStatus(NetStream.Publish.Start)
 *   @setDataFrame(onMetaData), audio, video …
 *   FCUnpublish / deleteStream / socket close → the stream ends
 *
 * Unlike node-media-server, the auth hook runs before `NetStream.Publish.Start` is sent, and no
 * media reaches the bus until it said yes: a refused publisher gets an error status and is hung up
 * on. Media that arrives meanwhile (an encoder may send its sequence headers in the same read as
 * `publish`) is held and delivered once allowed, discarded if refused.
 */
import type { Socket } from 'node:net';
import type { AmfObject, AmfValue } from '../../src/bytes/amf0.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { type Logger, silentLogger } from '../../src/core/logger.ts';
import { type DemuxStats, emptyDemuxStats } from '../../src/core/media-receiver.ts';
import {
	DEFAULT_VHOST,
	formatStreamKey,
	type StreamHub,
	type StreamKey,
	type StreamPublisher,
} from '../../src/core/stream-hub.ts';
import { AdmissionHold, DEFAULT_HOLD_BYTES } from '../admission-hold.ts';
import { FlvMediaAssembler } from '../demux/flv/flv-media-assembler.ts';
import type { ChunkReaderOptions } from './chunk-reader.ts';
import { RtmpConnection, type RtmpMessageHandler } from './rtmp-connection.ts';
import { MessageType, UserControlEvent } from './rtmp-message.ts';
import { splitQuery } from './rtmp-url.ts';

export type RtmpSessionOptions = {
	readonly hub: StreamHub;
	readonly vhost?: string;
	/** A publisher silent for this long is gone (default 15 s). */
	readonly idleTimeoutMs?: number;
	readonly limits?: ChunkReaderOptions;
	/** Bytes of media held while a publish is being authorized (default 4 MiB). */
	readonly holdBytes?: number;
	/** Hears protocol errors, refusals and media dropped during authorization. */
	readonly logger?: Logger;
};

/** What we ask the publisher to acknowledge after, and allow it to send (§5.4.4, §5.4.5). */
const WINDOW_SIZE = 5_000_000;
/** Our outgoing chunk size: commands fit in one chunk. */
const OUT_CHUNK_SIZE = 4096;
/** After a refusal, how long the status gets to reach the publisher before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** App and stream names: printable path characters, no empty or dot-dot segments (they end up in file paths). */
const NAME = /^[\w.~@+=,-]+(?:\/[\w.~@+=,-]+)*$/;

const NO_BYTES = new Uint8Array(0);

type State = 'connecting' | 'connected' | 'authorizing' | 'publishing' | 'closed';

export class RtmpPublishSession implements RtmpMessageHandler {
	readonly remoteAddress: string;
	readonly stats: DemuxStats = emptyDemuxStats();
	/** Media and data messages that arrived while no publish was accepted: dropped, never delivered. */
	refusedMessages = 0;
	private readonly connection: RtmpConnection;
	private state: State = 'connecting';
	private app = '';
	private appQuery: Record<string, string> = {};
	private nextStreamId = 1;
	private publishStreamId = 0;
	private key: StreamKey | undefined;
	private publisher: StreamPublisher | undefined;
	private assembler: FlvMediaAssembler | undefined;
	/** Media of the publish stream that arrives during authorization. */
	private readonly hold: AdmissionHold;
	private readonly logger: Logger;

	constructor(
		private readonly socket: Socket,
		private readonly options: RtmpSessionOptions,
		private readonly onClose: (session: RtmpPublishSession) => void,
	) {
		this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
		this.connection = new RtmpConnection('server', (bytes) => this.write(bytes), this, options.limits);
		this.hold = new AdmissionHold(options.holdBytes);
		this.logger = options.logger ?? silentLogger;
		socket.setNoDelay(true);
		socket.setTimeout(options.idleTimeoutMs ?? 15_000);
		socket.on('data', (bytes: Buffer) => this.receive(bytes));
		socket.on('timeout', () => this.close('no data from the publisher within the idle timeout'));
		socket.on('error', (error) => this.close(`socket error: ${error.message}`));
		socket.on('close', () => this.close('publisher disconnected'));
	}

	/** Whether the handshake was the digest variant. */
	get digestHandshake(): boolean {
		return this.connection.digestHandshake;
	}

	/** `default/app/stream` while publishing. */
	get streamKey(): StreamKey | undefined {
		return this.state === 'publishing' ? this.key : undefined;
	}

	/** Ends the stream (if any) and the connection; idempotent. */
	close(reason: string): void {
		if (this.state === 'closed') return;
		this.endPublishing(reason);
		this.state = 'closed';
		this.socket.destroy();
		this.onClose(this);
	}

	ready(): void {}

	command(streamId: number, values: AmfValue[]): void {
		const [name, transaction] = values;
		const txn = typeof transaction === 'number' ? transaction : 0;
		switch (name) {
			case 'connect':
				this.connect(txn, values[2]);
				return;
			case 'releaseStream':
			case 'FCPublish':
				this.connection.command(0, '_result', txn, null);
				return;
			case 'createStream':
				this.connection.command(0, '_result', txn, null, this.nextStreamId++);
				return;
			case 'publish':
				this.publish(streamId, values[3]);
				return;
			case 'FCUnpublish':
			case 'deleteStream':
			case 'closeStream':
				// After the media held with it: an unpublish in the same read as publish ends what it sent.
				if (this.state === 'authorizing') this.hold.hold(NO_BYTES, () => this.command(streamId, values));
				else if (this.state === 'publishing') {
					this.connection.status(this.publishStreamId, 'status', 'NetStream.Unpublish.Success', 'stream unpublished');
					this.endPublishing('publisher unpublished');
					this.state = 'connected';
				}
				return;
			case 'play':
				this.refuse(streamId, 'NetStream.Play.Failed', 'this server accepts publishers only');
				return;
			default:
				return;
		}
	}

	data(streamId: number, timestamp: number, body: Uint8Array): void {
		if (this.state === 'publishing' && streamId === this.publishStreamId) this.assembler!.script(body);
		else if (this.state === 'authorizing' && streamId === this.publishStreamId)
			this.hold.hold(body, (held) => this.data(streamId, timestamp, held));
		else this.refusedMessages++;
	}

	media(type: number, streamId: number, timestamp: number, body: Uint8Array): void {
		if (streamId !== this.publishStreamId || (this.state !== 'publishing' && this.state !== 'authorizing')) {
			this.refusedMessages++;
			return;
		}
		if (this.state === 'authorizing') this.hold.hold(body, (held) => this.media(type, streamId, timestamp, held));
		else if (type === MessageType.video) this.assembler!.video(body, timestamp);
		else this.assembler!.audio(body, timestamp);
	}

	userControl(): void {}

	private receive(bytes: Buffer): void {
		if (this.state === 'closed') return;
		this.stats.bytes += bytes.length;
		try {
			this.connection.push(bytes);
		} catch (error) {
			const reason = (error as Error).message;
			this.logger.warn(
				{ event: 'session.error', protocol: 'rtmp', remoteAddress: this.remoteAddress, reason },
				`RTMP ${this.remoteAddress}: ${reason}`,
			);
			this.close(`protocol error: ${(error as Error).message}`);
		}
	}

	private connect(txn: number, commandObject: AmfValue): void {
		if (this.state !== 'connecting') throw new TapedeckError('corrupt_input', 'RTMP: a second connect');
		const object = isObject(commandObject) ? commandObject : {};
		const app = typeof object['app'] === 'string' ? object['app'] : '';
		const { name, query } = splitQuery(app.replace(/\/+$/, ''));
		if (!NAME.test(name)) {
			this.connection.command(0, '_error', txn, null, {
				level: 'error',
				code: 'NetConnection.Connect.Rejected',
				description: `invalid app name "${name}"`,
			});
			this.hangUp();
			return;
		}
		this.app = name;
		this.appQuery = query;
		this.state = 'connected';
		this.connection.windowAckSize(WINDOW_SIZE);
		this.connection.peerBandwidth(WINDOW_SIZE, 2);
		this.connection.setChunkSize(OUT_CHUNK_SIZE);
		this.connection.command(
			0,
			'_result',
			txn,
			{ fmsVer: 'FMS/3,5,7,7009', capabilities: 31, mode: 1 },
			{
				level: 'status',
				code: 'NetConnection.Connect.Success',
				description: 'Connection succeeded.',
				objectEncoding: typeof object['objectEncoding'] === 'number' ? object['objectEncoding'] : 0,
			},
		);
	}

	private publish(streamId: number, streamName: AmfValue): void {
		if (this.state !== 'connected') {
			this.refuse(streamId, 'NetStream.Publish.BadName', 'publish is allowed once per connection, after connect');
			return;
		}
		const { name, query } = splitQuery(typeof streamName === 'string' ? streamName : '');
		if (!NAME.test(name)) {
			this.refuse(streamId, 'NetStream.Publish.BadName', `invalid stream name "${name}"`);
			return;
		}
		const key: StreamKey = { vhost: this.options.vhost ?? DEFAULT_VHOST, app: this.app, stream: name };
		this.key = key;
		this.publishStreamId = streamId;
		this.state = 'authorizing';
		const request = {
			key,
			protocol: 'rtmp',
			remoteAddress: this.socket.remoteAddress ?? '',
			credentials: { ...this.appQuery, ...query },
		};
		this.options.hub.authorize(request).then(
			(allowed) => this.authorized(streamId, key, allowed),
			(error: unknown) => this.authorized(streamId, key, false, `auth hook failed: ${(error as Error).message}`),
		);
	}

	/** §7.2.2.6: the publish answer, sent only now that the hook has decided. */
	/** `failure`: why the hub could not decide; without it, the refusal is the hub's (logged there). */
	private authorized(streamId: number, key: StreamKey, allowed: boolean, failure?: string): void {
		if (this.state !== 'authorizing') return;
		if (!allowed) {
			this.refusedMessages += this.hold.discard();
			const why = failure ?? 'wrong or missing stream key';
			const description = `publish to ${formatStreamKey(key)} refused: ${why}`;
			this.refuse(streamId, 'NetStream.Publish.Unauthorized', description, failure === undefined);
			return;
		}
		try {
			this.publisher = this.options.hub.publish(key, 'rtmp', this.socket.remoteAddress);
		} catch (error) {
			this.refusedMessages += this.hold.discard();
			this.refuse(streamId, 'NetStream.Publish.BadName', (error as Error).message);
			return;
		}
		this.assembler = new FlvMediaAssembler(this.publisher, this.stats);
		this.state = 'publishing';
		this.connection.userControl(UserControlEvent.streamBegin, streamId);
		this.connection.status(streamId, 'status', 'NetStream.Publish.Start', `${key.app}/${key.stream} is now published`);
		if (this.hold.overflowed > 0) {
			const message = `${this.hold.overflowed} media messages sent during authorization did not fit the ${this.options.holdBytes ?? DEFAULT_HOLD_BYTES}-byte hold and were dropped`;
			this.logger.warn(
				{ event: 'media.dropped', stream: formatStreamKey(key), protocol: 'rtmp', remoteAddress: this.remoteAddress },
				`RTMP ${this.remoteAddress}: ${formatStreamKey(key)}: ${message}`,
			);
			this.publisher.warn?.({ code: 'dropped_data', message: `RTMP publish: ${message}` });
			this.stats.droppedUnits += this.hold.overflowed;
		}
		this.hold.release();
	}

	/** `decided`: the hub refused, and logged its decision already (the answer is logged for debugging only). */
	private refuse(streamId: number, code: string, description: string, decided = false): void {
		const fields = { protocol: 'rtmp', remoteAddress: this.remoteAddress, code, reason: description };
		const line = `RTMP ${this.remoteAddress}: ${code}: ${description}`;
		if (decided) this.logger.debug({ event: 'publish.answered', ...fields }, line);
		else this.logger.info({ event: 'publish.refused', ...fields }, line);
		this.connection.status(streamId, 'error', code, description);
		this.hangUp();
	}

	/** Lets the last status reach the peer, then closes for good. */
	private hangUp(): void {
		this.endPublishing('publisher refused');
		this.state = 'closed';
		this.socket.end();
		setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
		this.onClose(this);
	}

	private endPublishing(reason: string): void {
		if (this.state !== 'publishing') return;
		this.assembler!.end();
		this.publisher!.end(reason);
		this.assembler = undefined;
		this.publisher = undefined;
	}

	private write(bytes: Uint8Array): void {
		if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
	}
}

const isObject = (value: AmfValue): value is AmfObject =>
	typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
