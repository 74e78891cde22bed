/**
 * The server's log: pino, one line per event on stderr, with its level by name and an ISO time.
 * JSON for log collectors, or pino-pretty's lines for people at a terminal (`auto` chooses by
 * whether stderr is one). pino-pretty runs in this thread as a synchronous stream, not as a pino
 * transport: transports start a worker thread that loads its files from disk, which the single
 * executable has none of.
 */
import pino from 'pino';
import pretty from 'pino-pretty';
import type { LogConfig } from '../config/operations-config.ts';
import type { Logger } from '../core/logger.ts';

/** Where the lines go: stderr's descriptor, or a stream (tests). */
export type LogDestination = number | NodeJS.WritableStream;

export type ServerLoggerOptions = {
	readonly destination?: LogDestination;
	/** Whether the destination is a terminal (`auto` then means pretty); default: whether stderr is one. */
	readonly terminal?: boolean;
};

/** One line per event: time, level, event name, message, then the other fields. */
const PRETTY = {
	singleLine: true,
	translateTime: 'SYS:standard',
	ignore: 'pid,hostname,event',
	messageFormat: '{event}: {msg}',
} as const;

/** Whether the lines are for people: `pretty`, or `auto` on a terminal. */
export const isPretty = (format: LogConfig['format'], terminal: boolean): boolean =>
	format === 'pretty' || (format === 'auto' && terminal);

export const createServerLogger = (config: LogConfig, options: ServerLoggerOptions = {}): Logger => {
	const destination = options.destination ?? 2;
	const terminal = options.terminal ?? process.stderr.isTTY === true;
	const stream = isPretty(config.format, terminal)
		? pretty({ destination, sync: true, colorize: terminal, ...PRETTY })
		: typeof destination === 'number'
			? pino.destination({ dest: destination, sync: true })
			: destination;
	return pino(
		{
			level: config.level,
			timestamp: pino.stdTimeFunctions.isoTime,
			// Level names, not pino's numbers: `"level":"warn"` reads the same in every collector.
			formatters: { level: (label) => ({ level: label }) },
		},
		stream,
	);
};
