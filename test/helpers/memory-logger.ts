/** A Logger for tests: keeps every line (level, fields with the child bindings, message) in memory. */
import type { LogFields, Logger } from '../../src/core/logger.ts';

export type LogEntry = {
	readonly level: 'error' | 'warn' | 'info' | 'debug';
	readonly fields: LogFields;
	readonly message: string;
};

export class MemoryLogger implements Logger {
	readonly entries: LogEntry[];
	readonly #bindings: Readonly<Record<string, unknown>>;

	constructor(entries: LogEntry[] = [], bindings: Readonly<Record<string, unknown>> = {}) {
		this.entries = entries;
		this.#bindings = bindings;
	}

	/** The messages, in order (what a person reads). */
	get lines(): string[] {
		return this.entries.map((entry) => entry.message);
	}

	/** The lines of one event. */
	events(event: string): LogFields[] {
		return this.entries.filter((entry) => entry.fields.event === event).map((entry) => entry.fields);
	}

	error(fields: LogFields, message: string): void {
		this.#add('error', fields, message);
	}

	warn(fields: LogFields, message: string): void {
		this.#add('warn', fields, message);
	}

	info(fields: LogFields, message: string): void {
		this.#add('info', fields, message);
	}

	debug(fields: LogFields, message: string): void {
		this.#add('debug', fields, message);
	}

	child(bindings: Readonly<Record<string, unknown>>): Logger {
		return new MemoryLogger(this.entries, { ...this.#bindings, ...bindings });
	}

	#add(level: LogEntry['level'], fields: LogFields, message: string): void {
		this.entries.push({ level, fields: { ...this.#bindings, ...fields }, message });
	}
}

/** A Logger that appends each message to `lines` (for tests that search the log's text). */
export const linesLogger = (lines: string[]): Logger => {
	const add = (_fields: LogFields, message: string): void => {
		lines.push(message);
	};
	return { error: add, warn: add, info: add, debug: add, child: () => linesLogger(lines) };
};
