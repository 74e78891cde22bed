/**
 * Where a muxer's bytes go. Writes are synchronous and buffered so a muxer can stay a plain
 * synchronous state machine; `drain()` is the one back-pressure point, `close()` the one place
 * that waits for the bytes to be durable.
 */
export interface Sink {
	/** Bytes written so far: the offset the next `write` lands at. */
	readonly position: number;
	/**
	 * Appends bytes. The sink copies them (or hands them to the OS) before returning, so callers may
	 * reuse their buffers at once: muxers write views of the demuxer's reused PES buffer and of their
	 * own scratch buffers.
	 */
	write(data: Uint8Array): void;
	/** Overwrites bytes already written (header patching); `position + data.length` must not pass `this.position`. */
	writeAt(position: number, data: Uint8Array): void;
	/** Resolves once buffered bytes are handed to the OS; rejects with the sink's first I/O error. */
	drain(): Promise<void>;
	/**
	 * Makes everything written so far durable without closing (what a crash may lose at most); rejects
	 * with the sink's first I/O error. A sink with nothing to make durable resolves at once.
	 */
	sync(): Promise<void>;
	/**
	 * True while more waits for a slower device than the sink's bound: a producer that cannot wait on
	 * `drain()` (a live recording) drops instead. A sink that never queues leaves it out.
	 */
	readonly backlogged?: boolean;
	/** Flushes, syncs and closes; idempotent. Rejects with the sink's first I/O error. */
	close(): Promise<void>;
}
