/**
 * Request and response shapes of OvenMediaEngine's recording API (as its documentation shows
 * them, and the fields its code writes), as zod schemas: they
 * validate the optional fields at the edge and generate the OpenAPI document. The two required
 * fields are checked before these run, so their message is OME's own.
 */
import { z } from '@hono/zod-openapi';
import { SEGMENTATION_RULES } from '../../recorder/segmentation-rule.ts';

const TrackIds = z.array(z.number().int().min(0));

export const StartRecordSchema = z
	.looseObject({
		id: z.string().min(1).openapi({ description: 'Unique id of the recording task', example: 'custom_id' }),
		stream: z.looseObject({
			name: z.string().min(1).openapi({ description: 'Stream name: the bus stream default/<app>/<name>' }),
			trackIds: TrackIds.optional().openapi({ description: 'Record only these track ids (1-based on tapedeck)' }),
			tracks: TrackIds.optional().openapi({ description: 'Deprecated alias of trackIds', deprecated: true }),
			variantNames: z
				.array(z.string())
				.optional()
				.openapi({ description: 'Record only tracks with these names ("video", "audio", …)' }),
		}),
		filePath: z.string().optional().openapi({
			description:
				'File name template with macros; its extension picks the container (.ts .mp4 .mov .flv .avi; others are MPEG-TS). Relative to the recordings folder; an absolute path is taken under it.',
			example: `app_\${Stream}_\${StartTime:YYYY-MM-DD_hh-mm-ss}_\${Sequence}.mp4`,
		}),
		infoPath: z
			.string()
			.optional()
			.openapi({ description: 'Info XML template; one <file> appended per finished file' }),
		interval: z
			.number()
			.int()
			.min(0)
			.optional()
			.openapi({ description: 'Split every N media milliseconds (at the next keyframe)', example: 60000 }),
		schedule: z.string().optional().openapi({
			description: 'Split on "<second minute hour>" cron ticks (at the next keyframe); not with interval',
			example: '0 */10 *',
		}),
		segmentationRule: z.enum(SEGMENTATION_RULES).optional(),
		metadata: z
			.union([z.string(), z.record(z.string(), z.unknown())])
			.optional()
			.openapi({
				description: 'Free text kept with the task and written to the info XML (an object is stored as JSON)',
			}),
	})
	.openapi('OmeStartRecord');

export type StartRecordBody = z.infer<typeof StartRecordSchema>;

export const RecordIdSchema = z
	.object({ id: z.string().min(1).openapi({ example: 'custom_id' }) })
	.openapi('OmeRecordId');

export const RecordsQuerySchema = z
	.object({ id: z.string().optional().openapi({ description: 'Only this task; all tasks when omitted' }) })
	.openapi('OmeRecordsQuery');

export const RecordSchema = z
	.object({
		state: z.enum(['ready', 'recording', 'stopping', 'stopped', 'error']),
		isConfig: z.boolean(),
		id: z.string(),
		metadata: z.string().optional(),
		vhost: z.string(),
		app: z.string(),
		stream: z.object({ name: z.string(), trackIds: z.array(z.number()), variantNames: z.array(z.string()) }),
		filePath: z.string(),
		outputFilePath: z.string().openapi({ description: 'Absolute path of the current (or last) file' }),
		infoPath: z.string(),
		outputInfoPath: z.string(),
		interval: z.number().optional(),
		schedule: z.string().optional(),
		segmentationRule: z.string().optional(),
		createdTime: z.string().openapi({ example: '2023-03-15T21:15:20.113+09:00' }),
		recordBytes: z.number().optional(),
		recordTime: z.number().optional().openapi({ description: 'Milliseconds of the current file' }),
		totalRecordBytes: z.number().optional(),
		totalRecordTime: z.number().optional(),
		sequence: z.number().optional(),
		startTime: z.string().optional(),
		finishTime: z.string().optional(),
	})
	.openapi('OmeRecord');

export type OmeRecord = z.infer<typeof RecordSchema>;

const envelope = <T extends z.ZodType>(response: T, name: string) =>
	z.object({ statusCode: z.number(), message: z.string(), response }).openapi(name);

export const RecordEnvelopeSchema = envelope(RecordSchema, 'OmeRecordResponse');
export const RecordsEnvelopeSchema = envelope(z.array(RecordSchema), 'OmeRecordsResponse');
export const OmeErrorSchema = z
	.object({
		statusCode: z.number(),
		message: z.string().openapi({ example: '[HTTP] Duplicate ID already exists (400)' }),
	})
	.openapi('OmeError');
