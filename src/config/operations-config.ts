/**
 * The operations settings of `tapedeck serve`: logging, metrics, webhooks and retention. Each
 * section's defaults are here; the configuration file, `TAPEDECK_*` variables and flags override them.
 */
import type { LogLevel } from '../core/logger.ts';

export type LogConfig = {
	readonly level: LogLevel;
	/** `auto`: pretty on a terminal, JSON otherwise. */
	readonly format: 'json' | 'pretty' | 'auto';
};

export type MetricsConfig = {
	/** Whether `/metrics` asks for the API's credentials (`/healthz` and `/readyz` never do). */
	readonly requireToken: boolean;
};

export type WebhookEndpointConfig = {
	readonly url: string;
	/** Key of the `X-Tapedeck-Signature` HMAC-SHA256 of each body. */
	readonly secret: string;
	/** Event types sent to this endpoint; all when absent. */
	readonly events?: readonly string[];
};

export type WebhooksConfig = {
	readonly endpoints: readonly WebhookEndpointConfig[];
	/** A program run (without a shell) for each completed file, its path and details in the environment; none when absent. */
	readonly onFileCompleted?: string;
	/** A delivery not answered with a 2xx within this time failed, and is tried again. */
	readonly timeoutMs: number;
	/** Wait before the first retry; doubled (with jitter) after each failure in a row, up to `retryMaxMs`. */
	readonly retryInitialMs: number;
	readonly retryMaxMs: number;
	/** Undelivered events kept per endpoint (the outbox's bound): beyond it the oldest are dropped, and logged. */
	readonly maxPendingEvents: number;
	/** `onFileCompleted` is killed after this long. */
	readonly commandTimeoutMs: number;
};

export type RetentionRule = {
	/** Completed files older than this are deleted. */
	readonly maxAgeMs?: number;
	/** Beyond this total, the oldest completed files are deleted. */
	readonly maxTotalBytes?: number;
};

export type RetentionConfig = RetentionRule & {
	/** Below this much free space on the recordings' disk, the oldest completed files are deleted; recordings stop when that is not enough. */
	readonly minFreeBytes: number;
	/** Rules for single jobs, by job name (they apply on top of the global ones). */
	readonly jobs: Readonly<Record<string, RetentionRule>>;
	readonly checkIntervalMs: number;
};

export type OperationsConfig = {
	readonly log: LogConfig;
	readonly metrics: MetricsConfig;
	readonly webhooks: WebhooksConfig;
	readonly retention: RetentionConfig;
};

export const OPERATIONS_DEFAULTS: OperationsConfig = {
	log: { level: 'info', format: 'auto' },
	metrics: { requireToken: false },
	/** A receiver down for an hour gets its events within a minute of coming back; a day of files fits the bound. */
	webhooks: {
		endpoints: [],
		timeoutMs: 10_000,
		retryInitialMs: 1000,
		retryMaxMs: 60_000,
		maxPendingEvents: 10_000,
		commandTimeoutMs: 300_000,
	},
	/** Nothing is deleted unless asked, except to keep 1 GiB free: a full disk loses the open files' tails. */
	retention: { minFreeBytes: 1024 ** 3, jobs: {}, checkIntervalMs: 60_000 },
};
