/**
 * Shapes of Huawei Cloud Live's "Submitting a Recording Command" (`POST /v1/{project_id}/record/control`)
 * as zod schemas: they validate at the edge and generate the OpenAPI document.
 */
import { z } from '@hono/zod-openapi';

export const ACTIONS = ['START', 'STOP'] as const;

/** A DNS name: it becomes a folder of the recorded files, so nothing else is accepted. */
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/;

export const RecordControlSchema = z
	.object({
		publish_domain: z
			.string()
			.regex(DOMAIN, 'must be a domain name (letters, digits, dots and dashes)')
			.openapi({ description: 'Ingest domain name', example: 'publish.example.com' }),
		app: z.string().min(1).max(128).openapi({ description: 'Application name', example: 'live' }),
		stream: z.string().min(1).max(512).openapi({ description: 'Stream name', example: 'mystream' }),
	})
	.openapi('HuaweiRecordControl');

export type RecordControl = z.infer<typeof RecordControlSchema>;

export const RecordControlParamsSchema = z.object({
	project_id: z.string().min(1).openapi({ description: 'Project id (any value is accepted)', example: 'project-1' }),
});

export const RecordControlQuerySchema = z.object({
	action: z.enum(ACTIONS).openapi({
		description:
			'START records a stream being pushed (stopped for good if the push stays interrupted too long); STOP ends it. A START of a stream less than 10 s after its STOP is refused.',
	}),
});

export const HuaweiErrorSchema = z
	.object({
		error_code: z.string().openapi({ example: 'LIVE.100011001' }),
		error_msg: z.string().openapi({ example: 'Request Illegal' }),
	})
	.openapi('HuaweiError');
