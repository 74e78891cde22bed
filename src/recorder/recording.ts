import type { createMuxer } from '../../mux/create-muxer.ts';
import type { ContainerFormat } from '../../mux/muxer.ts';
import type { StreamRegistry } from '../bus/stream-registry.ts';
import type { Subscription } from '../bus/subscription.ts';
import type { TapedeckError } from '../core/errors.ts';
import { type Logger, silentLogger } from '../core/logger.ts';
import type { MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import type { Sink } from '../sink/sink.ts';
import { DiskBacklog } from './disk-backlog.ts';
import { RecordingFiles } from './recording-files.ts';
import {
	canMove,
	type RecordedFile,
	type RecordingObserver,
	type RecordingSpec,
	type RecordingState,
} from './recording-spec.ts';
import { RecordingStats } from './recording-stats.ts';
import { RetryBackoff } from './retry-backoff.ts';
import { SegmentWriter } from './segment-writer.ts';
import { SplitPolicy } from './split-policy.ts';
import { TrackFilter } from './track-filter.ts';
import { type RecordingWarning, type RecordingWarnings, WarningLog, warningEvent } from './warning-log.ts';

export {
	RECORD_FORMATS,
	type RecordedFile,
	type RecordFormat,
	type RecordingObserver,
	type RecordingSpec,
	type RecordingState,
} from './recording-spec.ts';

export type RecordingDeps = {
	readonly registry: StreamRegistry;
	readonly observer: RecordingObserver;
	/** Opens the sink of a `.part` file; injectable to simulate a failing disk. */
	readonly openSink?: (path: string) => Sink;
	readonly now?: () => Date;
	/** How often the open file is made durable (fdatasync): what a SIGKILL can lose at most. */
	readonly syncIntervalMs?: number;
	/** First wait before a recording in `error` retries; doubled on each failure in a row (RetryBackoff). */
	readonly retryMs?: number;
	/** Muxer factory, injectable to test a failing muxer; default the registry in mux/create-muxer.ts. */
	readonly createMuxer?: typeof createMuxer;
	/** Where its warnings are logged too (the server's log holds back repeats). */
	readonly logger?: Logger;
};

/** Fragment length of MP4/MOV written while recording: with the sync timer, a crash loses at most about 2 s. */
const FRAGMENT_MS = 1000;
const DEFAULT_SYNC_INTERVAL_MS = 1000;
const DEFAULT_RETRY_MS = 1000;

/**
 * One run of a recording task: subscribes to its stream (waiting in `ready` while the stream is
 * absent) and feeds a SegmentWriter, whose files RecordingFiles names, finalizes and reports. A
 * dropped stream finalizes the file; its return opens the next sequence. A failure of its own (a
 * full disk, a write queue past its bound) puts the run in `error` with the reason, keeps what was
 * written as a playable file, and retries with back-off: the cause may pass. Nothing it does throws
 * out of a bus delivery, so one recording never takes another (or the process) down.
 */
export class Recording {
	readonly spec: RecordingSpec;
	readonly stats = new RecordingStats();
	#state: RecordingState = 'ready';
	#reason: string;
	readonly #deps: RecordingDeps;
	readonly #now: () => Date;
	readonly #warnings = new WarningLog();
	readonly #files: RecordingFiles;
	readonly #backlog = new DiskBacklog((packets, warning) => {
		this.stats.droppedPackets += packets;
		this.#warn(warning);
	});
	#subscription: Subscription | undefined;
	#writer: SegmentWriter | undefined;
	#syncTimer: NodeJS.Timeout | undefined;
	readonly #retry: RetryBackoff;
	/** Files opened by this run's earlier writers (a retry makes a new one). */
	#sequencesUsed = 0;
	#stopped: Promise<void> | undefined;
	/** The stop came from the user (the file it closes is the last of the task, `lastSequence` in the info XML). */
	#lastSequence = false;

	constructor(spec: RecordingSpec, deps: RecordingDeps) {
		this.spec = spec;
		this.#deps = deps;
		this.#now = deps.now ?? (() => new Date());
		this.#retry = new RetryBackoff(deps.retryMs ?? DEFAULT_RETRY_MS);
		this.#reason = `waiting for stream ${spec.key.vhost}/${spec.key.app}/${spec.key.stream}`;
		this.#files = new RecordingFiles({
			spec,
			observer: deps.observer,
			...(deps.openSink ? { openSink: deps.openSink } : {}),
			now: this.#now,
			warn: (warning) => this.#warn(warning),
			fail: (error) => this.#fail(error, true),
		});
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
		return this.#files.current;
	}

	/**
	 * What the input carried that did not reach the files as it was, and what the recorder changed
	 * (files renamed, packets dropped, tracks left out): counts by code and the latest distinct ones.
	 */
	get warnings(): RecordingWarnings {
		return this.#warnings.snapshot;
	}

	/** Subscribes to the stream; recording starts when it is (or becomes) live. */
	start(): void {
		if (this.#subscription || this.#stopped) return;
		this.#subscribe();
		const interval = this.#deps.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
		this.#syncTimer = setInterval(() => this.#files.sync(this.#writer?.current), interval);
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

	/** Puts the run in `error` for a cause outside it (its input could not bind its port): no retry; `stop()` still finalizes. */
	fail(error: unknown): void {
		this.#fail(error, false);
	}

	async #stop(lastSequence: boolean): Promise<void> {
		this.#lastSequence = lastSequence;
		this.#retry.cancel();
		// What the bus already holds for this recording was received before the stop: it goes in the file.
		this.#subscription?.flush();
		const failed = this.#state === 'error';
		this.#transition('stopping', failed ? this.#reason : 'stop requested');
		this.#unsubscribe();
		clearInterval(this.#syncTimer);
		this.#backlog.settle();
		await this.#writer?.close();
		await this.#files.salvage();
		this.#transition('stopped', failed ? this.#reason : 'stopped');
	}

	#subscribe(): void {
		this.#subscription = this.#deps.registry.subscribe(this.spec.key, {
			onTracks: (tracks) => this.#onTracks(tracks),
			onPacket: (packet) => this.#onPacket(packet),
			onEnd: (reason) => this.#onEnd(reason),
			onError: (error) => this.#onOverflow(error),
			onWarning: (warning) => this.#onWarning(warning),
		});
	}

	#unsubscribe(): void {
		this.#subscription?.close();
		this.#subscription = undefined;
	}

	#onTracks(tracks: readonly Track[]): void {
		if (this.#state === 'error' || this.#stopped) return;
		this.#writer ??= this.#createWriter();
		this.#backlog.announce(tracks);
		const writer = this.#writer;
		writer.announce(tracks);
		// A refused track set (a filter that matches nothing) failed the run already.
		if (writer.error) return;
		this.#transition('recording', `recording ${tracks.map((t) => `${t.kind} ${t.codec}`).join(' + ')}`);
	}

	#onPacket(packet: Packet): void {
		this.stats.count(packet.data.length);
		if (this.#backlog.drops(packet, this.#files.backlogged)) return;
		this.#writer?.push(packet);
	}

	/** The writer hears it too (a jump readies its rebaser) and hands it back through `onWarning`. */
	#onWarning(warning: MediaWarning): void {
		if (this.#writer) this.#writer.warn(warning);
		else this.#warn(warning);
	}

	/** Counted for the APIs and logged: what did not reach the files as it was is never lost unsaid. */
	#warn(warning: RecordingWarning): void {
		this.#warnings.add(warning, this.#now());
		(this.#deps.logger ?? silentLogger).warn(
			{ event: warningEvent(warning.code), code: warning.code },
			warning.message,
		);
	}

	#onEnd(reason: string): void {
		if (this.#state !== 'recording') return;
		this.#backlog.settle();
		this.#writer?.endSegment().catch((error: unknown) => this.#fail(error, true));
		this.#transition('ready', `stream ended (${reason}); waiting for it to return`);
	}

	/** The recording fell behind and lost packets: close the file and carry on from the stream's GOP cache. */
	#onOverflow(error: TapedeckError): void {
		if (this.#stopped || this.#state === 'error') return;
		this.stats.droppedPackets += this.#subscription?.dropped ?? 0;
		this.#warn({ code: 'dropped_data', message: error.message });
		this.#writer?.endSegment().catch((failure: unknown) => this.#fail(failure, true));
		this.#transition('ready', `resubscribing after: ${error.message}`);
		this.#subscribe();
	}

	#createWriter(): SegmentWriter {
		const { spec } = this;
		const fragmented = spec.format === 'mp4' || spec.format === 'mov' || spec.format === 'fmp4';
		const format: ContainerFormat = fragmented ? 'fmp4' : spec.format;
		const split = SplitPolicy.from(spec.split ?? {});
		const files = this.#files;
		return new SegmentWriter({
			format,
			muxerOptions: fragmented ? { fragmentDurationMs: FRAGMENT_MS } : {},
			segmentationRule: spec.segmentationRule,
			...(split ? { split } : {}),
			trackFilter: new TrackFilter(spec.tracks ?? {}),
			firstSequence: this.#nextSequence,
			...(spec.missingTrackWaitMs === undefined ? {} : { missingTrackWaitMs: spec.missingTrackWaitMs }),
			openSegment: (sequence, startedAt, tracks) => files.open(sequence, startedAt, tracks),
			onSegmentClosed: (info) => {
				this.#retry.succeeded();
				files.closed(info, this.#lastSequence);
			},
			onError: (error) => this.#fail(error, true),
			onWarning: (warning) => this.#warn(warning),
			now: this.#now,
			...(this.#deps.createMuxer ? { createMuxer: this.#deps.createMuxer } : {}),
		});
	}

	/** The sequence a new writer starts at: after the files of this run's earlier writers. */
	get #nextSequence(): number {
		return this.spec.firstSequence + this.#sequencesUsed;
	}

	/** Stops writing, keeps what was written as playable files, and (for a cause of its own) retries later. */
	#fail(error: unknown, retry: boolean): void {
		if (this.#state === 'error' || this.#state === 'stopping' || this.#state === 'stopped') return;
		const message = error instanceof Error ? error.message : String(error);
		this.stats.failures++;
		this.#transition('error', message);
		this.#unsubscribe();
		const writer = this.#writer;
		this.#writer = undefined;
		if (writer) this.#sequencesUsed += writer.stats.segments;
		const abandoned = this.#files.openPaths();
		const closed = writer ? writer.close() : Promise.resolve();
		void closed.then(() => this.#files.salvage(abandoned)).catch(() => {});
		if (!retry) return;
		this.#retry.schedule(() => this.#resume(message));
	}

	#resume(cause: string): void {
		if (this.#stopped || this.#state !== 'error') return;
		this.#transition('ready', `retrying after: ${cause}`);
		this.#subscribe();
	}

	/**
	 * Moves to `next` when the table allows it, and otherwise stays: this runs inside bus deliveries
	 * and timers, where a throw would end the process with every other recording. The moves asked
	 * for are legal by construction; a late one (a stream end after a failure) simply does not apply.
	 */
	#transition(next: RecordingState, reason: string): void {
		if (next === this.#state) {
			this.#reason = reason;
			return;
		}
		if (!canMove(this.#state, next)) return;
		this.#state = next;
		this.#reason = reason;
		this.#deps.observer.stateChanged(next, reason);
	}
}
