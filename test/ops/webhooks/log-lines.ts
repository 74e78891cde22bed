/** A Logger that keeps its lines, for tests that check what the server logs. */
import type { LogFields, Logger } from '../../../src/core/logger.ts';

export type LogLine = LogFields & { readonly level: string; readonly message: string };

export const collectingLogger = (): { readonly logger: Logger; readonly lines: LogLine[] } => {
	const lines: LogLine[] = [];
	const at =
		(level: string) =>
		(fields: LogFields, message: string): void => {
			lines.push({ ...fields, level, message });
		};
	const logger: Logger = {
		error: at('error'),
		warn: at('warn'),
		info: at('info'),
		debug: at('debug'),
		child: () => logger,
	};
	return { logger, lines };
};
