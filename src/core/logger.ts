/**
 * The structured log every layer writes to. Each line is one event: a machine-readable `event` name
 * (`listener.started`, `publish.refused`, `file.closed`, …) with its fields, and a message for people.
 * The server's implementation is pino (src/cli); libraries take a Logger and default to the silent one.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export type LogFields = { readonly event: string; readonly [field: string]: unknown };

export interface Logger {
	error(fields: LogFields, message: string): void;
	warn(fields: LogFields, message: string): void;
	info(fields: LogFields, message: string): void;
	debug(fields: LogFields, message: string): void;
	/** A logger whose lines all carry `bindings` (e.g. `{ job: id }`). */
	child(bindings: Readonly<Record<string, unknown>>): Logger;
}

const ignore = (): void => {};

export const silentLogger: Logger = {
	error: ignore,
	warn: ignore,
	info: ignore,
	debug: ignore,
	child: () => silentLogger,
};

/** Logs a failure with nobody to answer (a background task's): `<what> failed: <reason>`, at level error. */
export const logFailure = (logger: Logger, fields: LogFields, what: string, error: unknown): void => {
	const reason = error instanceof Error ? error.message : String(error);
	logger.error({ ...fields, error: reason }, `${what} failed: ${reason}`);
};
