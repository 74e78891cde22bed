/**
 * A Logger in front of another that rate-limits the events a lossy stream can raise by the hundred
 * (`media.dropped`, `timestamp.fixed`, `media.warning`): per event, job, stream or input, and warning code,
 * the first occurrence is written, then at most one line per interval: the latest occurrence's, with
 * `repeated`, how many others since the key's previous line it stands for. Every other event passes.
 */
import type { LogFields, Logger } from '../../core/logger.ts';
import { LogRateLimiter } from './log-rate-limiter.ts';

/** The events held back when they repeat. */
export const RATE_LIMITED_EVENTS: ReadonlySet<string> = new Set(['media.dropped', 'timestamp.fixed', 'media.warning']);

/** Default: one line per key every 10 s at most. */
export const DEFAULT_LOG_INTERVAL_MS = 10_000;

type Level = 'error' | 'warn' | 'info' | 'debug';
type Occurrence = {
	readonly logger: Logger;
	readonly level: Level;
	readonly fields: LogFields;
	readonly message: string;
};

export class RateLimitedLog {
	readonly logger: Logger;
	readonly #limiter: LogRateLimiter<Occurrence>;
	readonly #intervalMs: number;
	#timer: NodeJS.Timeout | undefined;

	constructor(inner: Logger, intervalMs = DEFAULT_LOG_INTERVAL_MS, now: () => number = Date.now) {
		this.#intervalMs = intervalMs;
		this.#limiter = new LogRateLimiter<Occurrence>(intervalMs, now);
		this.logger = new LimitingLogger(inner, this.#limiter, '');
	}

	/** Writes the summaries due every interval until `close()`; the timer keeps no process alive. */
	start(): void {
		this.#timer ??= setInterval(() => this.flush(), this.#intervalMs).unref();
	}

	/** Writes a summary line for each key whose held-back occurrences are an interval old. */
	flush(): void {
		for (const { held, latest } of this.#limiter.due()) writeLine(latest, held - 1);
	}

	/** Stops the timer and writes every held-back count (at shutdown, nothing goes unsaid). */
	close(): void {
		clearInterval(this.#timer);
		this.#timer = undefined;
		for (const { held, latest } of this.#limiter.drain()) writeLine(latest, held - 1);
	}
}

/** An occurrence's line, with the count of the others it stands for (`repeated`): each line is 1 + repeated occurrences. */
const writeLine = ({ logger, level, fields, message }: Occurrence, held: number): void => {
	if (held === 0) logger[level](fields, message);
	else logger[level]({ ...fields, repeated: held }, `${message} (and ${held} more like it since the last such line)`);
};

class LimitingLogger implements Logger {
	readonly #inner: Logger;
	readonly #limiter: LogRateLimiter<Occurrence>;
	/** The bindings of this child (a job, a stream), which make its keys its own. */
	readonly #scope: string;

	constructor(inner: Logger, limiter: LogRateLimiter<Occurrence>, scope: string) {
		this.#inner = inner;
		this.#limiter = limiter;
		this.#scope = scope;
	}

	error(fields: LogFields, message: string): void {
		this.#write('error', fields, message);
	}

	warn(fields: LogFields, message: string): void {
		this.#write('warn', fields, message);
	}

	info(fields: LogFields, message: string): void {
		this.#write('info', fields, message);
	}

	debug(fields: LogFields, message: string): void {
		this.#write('debug', fields, message);
	}

	child(bindings: Readonly<Record<string, unknown>>): Logger {
		return new LimitingLogger(this.#inner.child(bindings), this.#limiter, `${this.#scope}${JSON.stringify(bindings)}`);
	}

	#write(level: Level, fields: LogFields, message: string): void {
		if (!RATE_LIMITED_EVENTS.has(fields.event)) {
			this.#inner[level](fields, message);
			return;
		}
		const key = [fields.event, this.#scope, fields['job'], fields['stream'], fields['input'], fields['code']].join(
			'\n',
		);
		const occurrence: Occurrence = { logger: this.#inner, level, fields, message };
		const held = this.#limiter.admit(key, occurrence);
		if (held !== undefined) writeLine(occurrence, held);
	}
}
