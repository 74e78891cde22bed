/**
 * The operations sections of the configuration (logging, metrics, webhooks, retention): keys, kinds,
 * meanings and examples; their defaults are OPERATIONS_DEFAULTS, which the features read.
 */
import type { LogLevel } from '../core/logger.ts';
import { boolean, duration, list, listOf, mapOf, oneOf, size, text, url } from './kinds.ts';
import { OPERATIONS_DEFAULTS, type RetentionRule, type WebhookEndpointConfig } from './operations-config.ts';
import { setting, type Tree } from './setting.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const satisfies readonly LogLevel[];

const retentionRule = {
	maxAgeMs: setting(duration(1), { description: 'completed files older than this are deleted', example: '7d' }),
	maxTotalBytes: setting(size(1), {
		description: 'beyond this total, the oldest completed files are deleted',
		example: '500GiB',
	}),
};

export const OPERATIONS_SCHEMA = {
	log: {
		level: setting(oneOf(LOG_LEVELS), {
			default: OPERATIONS_DEFAULTS.log.level,
			description: 'least important events logged',
			example: 'debug',
			flag: 'log-level',
		}),
		format: setting(oneOf(['json', 'pretty', 'auto']), {
			default: OPERATIONS_DEFAULTS.log.format,
			description: 'auto: pretty on a terminal, JSON lines otherwise',
			example: 'json',
			flag: 'log-format',
		}),
	},
	metrics: {
		requireToken: setting(boolean, {
			default: OPERATIONS_DEFAULTS.metrics.requireToken,
			description: '/metrics asks for the API credentials (/healthz and /readyz never do)',
			example: true,
		}),
	},
	webhooks: {
		endpoints: setting(
			listOf<WebhookEndpointConfig>({
				url: setting(url, { description: 'receiver', example: 'https://hooks.example.com/tapedeck', required: true }),
				secret: setting(text, {
					description: 'key of the X-Tapedeck-Signature HMAC-SHA256 of each body',
					example: 's3cret',
					required: true,
					secret: true,
				}),
				events: setting(list(), { description: 'event types sent; default: all', example: ['file.completed'] }),
			}),
			{
				default: OPERATIONS_DEFAULTS.webhooks.endpoints,
				description: 'receivers of file.started, file.completed, job.state… events',
				example: [{ url: 'https://hooks.example.com/tapedeck', secret: 's3cret', events: ['file.completed'] }],
			},
		),
		onFileCompleted: setting(text, {
			description: "command run for each completed file (its path and details in the command's environment)",
			example: '/usr/local/bin/on-file.sh',
		}),
	},
	retention: {
		...retentionRule,
		minFreeBytes: setting(size(0), {
			default: OPERATIONS_DEFAULTS.retention.minFreeBytes,
			description: "below this free space, the oldest completed files are deleted; recordings stop if that can't help",
			example: '5GiB',
		}),
		checkIntervalMs: setting(duration(1000), {
			default: OPERATIONS_DEFAULTS.retention.checkIntervalMs,
			description: 'how often the rules are applied',
			example: '5m',
		}),
		jobs: setting(mapOf<RetentionRule>(retentionRule, { pattern: /^.+$/, text: 'a job name' }), {
			default: OPERATIONS_DEFAULTS.retention.jobs,
			description: 'rules for single jobs, by job name, applied on top of the global ones',
			example: { lobby: { maxAgeMs: '1d' } },
		}),
	},
} satisfies Tree;
