import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorCode, TapedeckError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

/** The one mapping from engine error kinds to HTTP statuses; each dialect shapes its own body. */
const STATUS: Readonly<Record<ErrorCode, ContentfulStatusCode>> = {
	invalid_argument: 400,
	unsupported: 400,
	corrupt_input: 400,
	not_found: 404,
	conflict: 409,
	disk_full: 507,
	io: 500,
	internal: 500,
};

export const httpStatusOf = (error: unknown): ContentfulStatusCode =>
	error instanceof TapedeckError ? STATUS[error.code] : 500;

/** The message a client may see: ours in full, anything unexpected as a generic line (details go to the log). */
export const publicMessage = (error: unknown): string =>
	error instanceof TapedeckError ? error.message : 'internal error';

/** An error no TapedeckError explains (a bug): its stack goes to the log (`api.error`), the client sees `publicMessage`. */
export const logUnexpected = (logger: Logger | undefined, api: string, error: unknown): void => {
	if (error instanceof TapedeckError) return;
	const stack = (error as Error)?.stack ?? String(error);
	logger?.error({ event: 'api.error', api, error: stack }, `${api} api: ${stack}`);
};
