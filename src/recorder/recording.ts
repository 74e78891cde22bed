import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ContainerFormat } from '../../mux/muxer.ts';
import type { StreamRegistry } from '../bus/stream-registry.ts';
import type { Subscription } from '../bus/subscription.ts';
import { TapedeckError } from '../core/errors.ts';
import type { Packet } from '../core/packet.ts';
import type { StreamKey } from '../core/stream-hub.ts';
import type { Track } from '../core/track.ts';
import { FileSink } from '../sink/file-sink.ts';
import type { Sink } from '../sink/sink.ts';
import { newObjectId } from '../store/object-id.ts';
import { appendInfoFile } from './info-file.ts';
import { finalizePart, repairPart } from './part-file.ts';
import type { PathTemplate, PathValues } from './path-template.ts';
import type { SegmentationRule } from './rebaser.ts';
import { RecordingStats } from './recording-stats.ts';
import { type SegmentInfo, SegmentWriter } from './segment-writer.ts';
import { SplitPolicy, type SplitPolicyOptions } from './split-policy.ts';
import { TrackFilter, type TrackFilterOptions } from './track-filter.ts';

/** The containers a recording can produce (MP4 and MOV are written fragmented and finalized at close). */
/** `fmp4` keeps the fragmented MP4 written while recording (as `remux --format fmp4` writes it). */
export type RecordFormat = 'ts' | 'mp4' | 'fmp4' | 'mov' | 'flv' | 'avi';

export const RECORD_FORMATS: readonly RecordFormat[] = ['mp4', 'mov', 'avi', 'flv', 'ts', 'fmp4'];

export type RecordingState = 'ready' | 'recording' | 'stopping' | 'stopped' | 'error';

/**
 * The one table of legal moves. `recording → ready` is the stream dropping (the file is finalized and
 * the recording waits for the stream to return); `error` is reachable from every live state and is
 * left only by stopping.
 */
const TRANSITIONS: Readonly<Record<RecordingState, readonly RecordingState[]>> = {
	ready: ['recording', 'stopping', 'error'],
	recording: ['ready', 'stopping', 'error'],
	error: ['stopping'],
	stopping: ['stopped'],
	stopped: [],
};

/** One file of a recording, as the job store keeps it and the APIs list it. */
export type RecordedFile = {
	readonly id: string;
	readonly sequence: number;
	/** The final path (absolute). While `writing` it is provisional: `${EndTime}` is known only at close. */
	path: string;
	/** Where the bytes are while the file is written. */
	readonly partPath: string;
	state: 'writing' | 'complete' | 'recovered' | 'failed';
	bytes: number;
	durationMs: number;
	readonly startedAt: string;
	endedAt?: string;
	error?: string;
};

export type RecordingSpec = {
	readonly id: string;
	/** One per run of the recording (OME's transactionId); `${TransactionId}`. */
	readonly transactionId: string;
	/** The bus stream recorded. */
	readonly key: StreamKey;
	/** `${Stream}` in file names (a recording's own input is keyed by id, but named by the user). */
	readonly streamName: string;
	readonly format: RecordFormat;
	readonly filePath: PathTemplate;
	readonly infoPath?: PathTemplate;
	readonly split?: SplitPolicyOptions;
	readonly segmentationRule: SegmentationRule;
	readonly tracks?: TrackFilterOptions;
	readonly metadata?: string;
	readonly createdAt: Date;
	/** `${Sequence}` of the first file: a resumed recording carries on after its last file. */
	readonly firstSequence: number;
};

export interface RecordingObserver {
	fileOpened(file: RecordedFile): void;
	/** A file reached its final name (or failed for good): persist it. */
	fileClosed(file: RecordedFile): void;
	stateChanged(state: RecordingState, reason: string): void;
}

export type RecordingDeps = {
	readonly registry: StreamRegistry;
	readonly observer: RecordingObserver;
	/** Opens the sink of a `.part` file; injectable to simulate a failing disk. */
	readonly openSink?: (path: string) => Sink;
	readonly now?: () => Date;
	/** How often the open file is made durable (fdatasync): what a SIGKILL can lose at most. */
	readonly syncIntervalMs?: number;
};

/** Fragment length of MP4/MOV written while recording: with the sync timer, a crash loses at most about 2 s. */
const FRAGMENT_MS = 1000;
const DEFAULT_SYNC_INTERVAL_MS = 1000;

/**
 * One run of a recording task: subscribes to its stream (waiting in `ready` while the stream is absent),
 * feeds a SegmentWriter, finalizes each file (`.part` → final name, MP4 defragmented), appends the info
 * XML and reports every file and state change to its observer. A dropped stream finalizes the file;
 * its return opens the next sequence. Write errors (a full disk) put the run in `error` with the reason,
 * and keep what was written as a playable file.
 */
export class Recording {
	readonly spec: RecordingSpec;
	readonly stats = new RecordingStats();
	#state: RecordingState = 'ready';
	#reason: string;
	readonly #deps: RecordingDeps;
	readonly #now: () => Date;
	#subscription: Subscription | undefined;
	#writer: SegmentWriter | undefined;
	/** Files opened and not yet closed, by `.part` path (a split closes one while the next is open). */
	readonly #openFiles = new Map<string, { file: RecordedFile; sink: Sink }>();
	/** The file being written now. */
	#current: { file: RecordedFile; sink: Sink } | undefined;
	/** Finalization of closed files, in order: `stop()` waits for it. */
	#finalizing: Promise<void> = Promise.resolve();
	#syncTimer: NodeJS.Timeout | undefined;
	#stopped: Promise<void> | undefined;
	/** The stop came from the user (the file it closes is the last of the task, `lastSequence` in the info XML). */
	#lastSequence = false;

	constructor(spec: RecordingSpec, deps: RecordingDeps) {
		this.spec = spec;
		this.#deps = deps;
		this.#now = deps.now ?? (() => new Date());
		this.#reason = `waiting for stream ${spec.key.vhost}/${spec.key.app}/${spec.key.stream}`;
	}

	get state(): RecordingState {
		return this.#state;
	}

	/** Why the recording is in its state: what it waits for, or the error. */
	get reason(): string {
		return this.#reason;
	}

	/** The file being written, if any. */
	get currentFile(): RecordedFile | undefined {
		return this.#current?.file;
	}

	/** Subscribes to the stream; recording starts when it is (or becomes) live. */
	start(): void {
		if (this.#subscription || this.#stopped) return;
		this.#subscribe();
		const interval = this.#deps.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
		this.#syncTimer = setInterval(() => this.#syncOpenFile(), interval);
		this.#syncTimer.unref();
	}

	/**
	 * Finalizes the open file and ends the run; idempotent. `lastSequence` marks a user stop (as opposed
	 * to a shutdown, after which the task resumes).
	 */
	stop(options: { lastSequence?: boolean } = {}): Promise<void> {
		this.#stopped ??= this.#stop(options.lastSequence ?? true);
		return this.#stopped;
	}

	async #stop(lastSequence: boolean): Promise<void> {
		this.#lastSequence = lastSequence;
		// What the bus already holds for this recording was received before the stop: it goes in the file.
		this.#subscription?.flush();
		const failed = this.#state === 'error';
		this.#transition('stopping', failed ? this.#reason : 'stop requested');
		this.#subscription?.close();
		this.#subscription = undefined;
		clearInterval(this.#syncTimer);
		await this.#writer?.close().catch(() => {});
		await this.#finalizing;
		await this.#salvageOpenFiles();
		this.#transition('stopped', failed ? this.#reason : 'stopped');
	}

	#subscribe(): void {
		this.#subscription = this.#deps.registry.subscribe(this.spec.key, {
			onTracks: (tracks) => this.#onTracks(tracks),
			onPacket: (packet) => this.#onPacket(packet),
			onEnd: (reason) => this.#onEnd(reason),
			onError: (error) => this.#onOverflow(error),
		});
	}

	#onTracks(tracks: readonly Track[]): void {
		if (this.#state === 'error' || this.#stopped) return;
		try {
			this.#writer ??= this.#createWriter();
			this.#writer.announce(tracks);
		} catch (error) {
			this.#fail(error);
			return;
		}
		// The writer reports a refused track set (a filter that matches nothing) as its error.
		if (this.#writer.error) return;
		this.#transition('recording', `recording ${tracks.map((t) => `${t.kind} ${t.codec}`).join(' + ')}`);
	}

	#onPacket(packet: Packet): void {
		this.stats.count(packet.data.length);
		this.#writer?.push(packet);
	}

	#onEnd(reason: string): void {
		if (this.#state !== 'recording') return;
		this.#endSegment();
		this.#transition('ready', `stream ended (${reason}); waiting for it to return`);
	}

	/** The recording fell behind and lost packets: close the file and carry on from the stream's GOP cache. */
	#onOverflow(error: TapedeckError): void {
		if (this.#stopped || this.#state === 'error') return;
		this.stats.droppedPackets += this.#subscription?.dropped ?? 0;
		this.#reason = error.message;
		this.#endSegment();
		if (this.#state === 'recording') this.#transition('ready', `resubscribing after: ${error.message}`);
		this.#subscribe();
	}

	#endSegment(): void {
		const writer = this.#writer;
		if (!writer) return;
		writer.endSegment().catch((error: unknown) => this.#fail(error));
	}

	#createWriter(): SegmentWriter {
		const { spec } = this;
		const fragmented = spec.format === 'mp4' || spec.format === 'mov' || spec.format === 'fmp4';
		const format: ContainerFormat = fragmented ? 'fmp4' : spec.format;
		const split = SplitPolicy.from(spec.split ?? {});
		return new SegmentWriter({
			format,
			muxerOptions: fragmented ? { fragmentDurationMs: FRAGMENT_MS } : {},
			segmentationRule: spec.segmentationRule,
			...(split ? { split } : {}),
			trackFilter: new TrackFilter(spec.tracks ?? {}),
			firstSequence: spec.firstSequence,
			openSegment: (sequence, startedAt) => this.#openSegment(sequence, startedAt),
			onSegmentClosed: (info) => this.#segmentClosed(info),
			onError: (error) => this.#fail(error),
			now: this.#now,
		});
	}

	#pathValues(sequence: number, startTime: Date, endTime?: Date): PathValues {
		const { spec } = this;
		return {
			virtualHost: spec.key.vhost,
			application: spec.key.app,
			stream: spec.streamName,
			sourceStream: spec.key.stream,
			sequence,
			id: spec.id,
			transactionId: spec.transactionId,
			startTime,
			...(endTime ? { endTime } : {}),
		};
	}

	#openSegment(sequence: number, startedAt: Date): { sink: Sink; path: string } {
		const path = this.spec.filePath.expand(this.#pathValues(sequence, startedAt));
		const partPath = `${path}.part`;
		try {
			mkdirSync(dirname(path), { recursive: true });
		} catch (error) {
			throw new TapedeckError('io', `cannot create the folder of ${path}: ${(error as Error).message}`, {
				cause: error,
			});
		}
		const sink = (this.#deps.openSink ?? ((p: string) => new FileSink(p)))(partPath);
		const file: RecordedFile = {
			id: newObjectId(),
			sequence,
			path,
			partPath,
			state: 'writing',
			bytes: 0,
			durationMs: 0,
			startedAt: startedAt.toISOString(),
		};
		this.#current = { file, sink };
		this.#openFiles.set(partPath, this.#current);
		this.#deps.observer.fileOpened(file);
		return { sink, path: partPath };
	}

	#segmentClosed(info: SegmentInfo): void {
		const open = this.#openFiles.get(info.path);
		if (!open) return;
		this.#openFiles.delete(info.path);
		if (this.#current === open) this.#current = undefined;
		const { file } = open;
		const lastSequence = this.#lastSequence;
		this.#finalizing = this.#finalizing.then(() => this.#finalize(file, info, lastSequence));
	}

	async #finalize(file: RecordedFile, info: SegmentInfo, lastSequence: boolean): Promise<void> {
		const endedAt = info.endedAt;
		try {
			file.path = this.spec.filePath.expand(this.#pathValues(file.sequence, info.startedAt, endedAt));
			file.bytes = await finalizePart(file.partPath, file.path, this.spec.format);
			file.state = 'complete';
		} catch (error) {
			file.state = 'failed';
			file.error = (error as Error).message;
		}
		file.durationMs = info.durationMs;
		file.endedAt = endedAt.toISOString();
		this.#deps.observer.fileClosed(file);
		if (file.state === 'complete' && this.spec.infoPath) await this.#appendInfo(file, info, lastSequence);
	}

	async #appendInfo(file: RecordedFile, info: SegmentInfo, lastSequence: boolean): Promise<void> {
		const { spec } = this;
		const infoPath = spec.infoPath;
		if (!infoPath) return;
		try {
			await appendInfoFile(infoPath.expand(this.#pathValues(file.sequence, info.startedAt, info.endedAt)), {
				transactionId: spec.transactionId,
				id: spec.id,
				...(spec.metadata === undefined ? {} : { metadata: spec.metadata }),
				vhost: spec.key.vhost,
				app: spec.key.app,
				stream: spec.streamName,
				filePath: file.path,
				recordBytes: file.bytes,
				recordTime: file.durationMs,
				sequence: file.sequence,
				lastSequence,
				createdTime: spec.createdAt,
				startTime: info.startedAt,
				finishTime: info.endedAt,
			});
		} catch (error) {
			this.#reason = `info file not written: ${(error as Error).message}`;
		}
	}

	/**
	 * A file whose writer failed never reports closing: keep what reached the disk by repairing its
	 * `.part` into a playable file under the final name.
	 */
	async #salvageOpenFiles(): Promise<void> {
		const open = [...this.#openFiles.values()];
		this.#openFiles.clear();
		this.#current = undefined;
		for (const { file, sink } of open) {
			await sink.close().catch(() => {});
			try {
				const repaired = await repairPart(file.partPath, file.path, this.spec.format);
				file.bytes = repaired.bytes;
				file.state = 'recovered';
			} catch (error) {
				file.state = 'failed';
				file.error = (error as Error).message;
			}
			file.endedAt = this.#now().toISOString();
			this.#deps.observer.fileClosed(file);
		}
	}

	/** Puts the run in `error` with the reason (e.g. its input could not bind its port); `stop()` still finalizes. */
	fail(error: unknown): void {
		this.#fail(error);
	}

	#fail(error: unknown): void {
		if (this.#state === 'error' || this.#state === 'stopping' || this.#state === 'stopped') return;
		const message = error instanceof Error ? error.message : String(error);
		this.#transition('error', message);
		this.#subscription?.close();
		this.#subscription = undefined;
	}

	#syncOpenFile(): void {
		const sink = this.#current?.sink;
		if (sink instanceof FileSink) sink.sync().catch(() => {});
		const file = this.#current?.file;
		const current = this.#writer?.current;
		if (file && current) {
			file.bytes = current.bytes;
			file.durationMs = current.durationMs;
		}
	}

	#transition(next: RecordingState, reason: string): void {
		if (next === this.#state) {
			this.#reason = reason;
			return;
		}
		if (!TRANSITIONS[this.#state].includes(next)) {
			throw new TapedeckError('internal', `recording ${this.spec.id}: illegal state change ${this.#state} → ${next}`);
		}
		this.#state = next;
		this.#reason = reason;
		this.#deps.observer.stateChanged(next, reason);
	}
}
