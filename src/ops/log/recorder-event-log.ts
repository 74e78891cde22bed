/**
 * The recorder's events as log lines: `file.opened`, `file.closed` (path, bytes, duration),
 * `file.failed` and `job.state`. Files repaired at start-up are the server's `recovery.repaired`
 * lines (with what was done to them), not closes.
 */
import type { Logger } from '../../core/logger.ts';
import type { RecoveryReport } from '../../recorder/crash-recovery.ts';
import type { RecorderEvent, RecorderEvents } from '../../recorder/recorder-events.ts';

/** Logs every event of `events` on `logger`; returns the unsubscribe. */
export const logRecorderEvents = (events: RecorderEvents, logger: Logger): (() => void) =>
	events.on((event) => logRecorderEvent(logger, event));

export const logRecorderEvent = (logger: Logger, event: RecorderEvent): void => {
	const { job } = event;
	const ids = { job: job.id, name: job.name };
	switch (event.type) {
		case 'file.started': {
			const { path, sequence } = event.file;
			logger.info({ event: 'file.opened', ...ids, sequence, path }, `file opened: ${path}`);
			return;
		}
		case 'file.completed': {
			const { path, sequence, bytes, durationMs, startedAt, endedAt, state } = event.file;
			if (state === 'recovered') return;
			logger.info(
				{ event: 'file.closed', ...ids, sequence, path, bytes, durationMs, startedAt, endedAt },
				`file closed: ${path} (${bytes} bytes, ${(durationMs / 1000).toFixed(1)} s)`,
			);
			return;
		}
		case 'file.failed': {
			const { path, sequence, bytes, error } = event.file;
			logger.error({ event: 'file.failed', ...ids, sequence, path, bytes, error }, `file failed: ${path}: ${error}`);
			return;
		}
		case 'job.state': {
			const { state, reason, active } = job;
			const line = `recording ${job.name}: ${state} (${reason})`;
			if (state === 'error') logger.warn({ event: 'job.state', ...ids, state, reason, active }, line);
			else logger.info({ event: 'job.state', ...ids, state, reason, active }, line);
			return;
		}
	}
};

/** What the start-up repair did to each file a crash left (`recovery.repaired`; a file it could not save is a warning). */
export const logRecovery = (report: RecoveryReport, logger: Logger): void => {
	for (const { jobId, path, outcome, note } of report.files) {
		const fields = { event: 'recovery.repaired', job: jobId, path, outcome, note };
		const line = `recovery: ${outcome} ${path} (${note})`;
		if (outcome === 'failed') logger.warn(fields, line);
		else logger.info(fields, line);
	}
};
