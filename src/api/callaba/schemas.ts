/**
 * Request and response shapes of Callaba Engine's recording API (`/api/recording/*`),
 * as zod schemas: they validate at the edge and generate the OpenAPI document. Fields marked
 * "tapedeck" are extensions Callaba does not document (file naming, splitting, track selection).
 */
import { z } from '@hono/zod-openapi';
import { MASK } from '../../core/input-spec.ts';
import { RECORD_FORMATS } from '../../recorder/recording.ts';
import { SEGMENTATION_RULES } from '../../recorder/segmentation-rule.ts';
import { INPUT_TYPES } from './callaba-input.ts';

export const RECORDING_TYPES = ['RECORDING_STREAM_TO_FILE', 'RECORDING_STREAM_TO_MEMORY'] as const;

const ObjectId = z.string().min(1).openapi({ example: '622e2f97f678990032d434b4' });

export const InputSchema = z
	.looseObject({
		input_type: z.enum(INPUT_TYPES),
		input_module_id: z.string().optional().openapi({
			description:
				'INPUT_TYPE_RTMP_/SRT_SOFTWARE|HARDWARE: id of a built-in listener, "rtmp" or "srt" (listed under `modules` in /api/utils/getStat)',
			example: 'rtmp',
		}),
		input_stream_id: z.string().optional().openapi({
			description:
				'INPUT_TYPE_RTMP_/SRT_SOFTWARE|HARDWARE: the stream on that listener, "app/stream" (a bare name means app "live"; SRT also takes "#!::r=app/stream,m=publish")',
			example: 'live/cam1',
		}),
		input_stream_url: z.string().optional().openapi({ example: 'udp://127.0.0.1:5000' }),
		input_stream_listen_port: z
			.object({
				port: z.number().int().min(1).max(65535),
				transport: z.enum(['UDP', 'TCP']).optional(),
				address: z
					.string()
					.optional()
					.openapi({ description: 'tapedeck: address to bind, or a multicast group to join (UDP)' }),
			})
			.optional(),
		passphrase: z
			.union([z.literal(MASK), z.string().min(10).max(80)])
			.optional()
			.openapi({
				description:
					'tapedeck: SRT passphrase of a listen input; stored, shown as "***" (sent back as "***" in an update, the stored one is kept)',
			}),
		publish_key: z
			.union([z.literal(MASK), z.string().min(1).max(256)])
			.optional()
			.openapi({
				description:
					'tapedeck: the key a publisher to this listen input must present (RTMP ?key=, SRT stream id s=, HTTP Authorization: Bearer or a Basic/RTSP password); shown as "***"',
			}),
		user: z.string().min(1).max(256).optional().openapi({ description: 'tapedeck: RTSP/HTTP user of a listen input' }),
		password: z
			.union([z.literal(MASK), z.string().min(1).max(256)])
			.optional()
			.openapi({
				description: 'tapedeck: password that goes with user (RTSP Basic or Digest, HTTP Basic); shown as "***"',
			}),
		allowed_sources: z
			.array(z.string().max(64))
			.max(256)
			.optional()
			.openapi({ description: 'tapedeck: addresses or IPv4 CIDR blocks allowed to publish (UDP: the only check)' }),
		latency: z.number().int().min(0).optional().openapi({ description: 'tapedeck: SRT latency, ms' }),
	})
	.openapi('Input', {
		description:
			'Where the stream comes from: a built-in listener (INPUT_TYPE_RTMP_SOFTWARE|HARDWARE, INPUT_TYPE_SRT_SOFTWARE|HARDWARE with input_module_id and input_stream_id), a port of its own (INPUT_TYPE_SRT_/RTMP_/RTSP_/UDP_/HTTP_LISTEN with input_stream_listen_port) or a URL to pull (INPUT_TYPE_SRT_/RTMP_/RTSP_/UDP_/HTTP_URL with input_stream_url); other types answer "not supported yet".',
	});

const Transcoding = z.looseObject({
	video_transcoding: z.string().optional(),
	audio_transcoding: z.string().optional(),
});

export const RecordingSettingsSchema = z
	.object({
		recording_name: z.string().min(1).max(256).openapi({ example: 'Awesome recorded stream' }),
		recording_type: z.enum(RECORDING_TYPES),
		input: InputSchema,
		output_format: z.enum(RECORD_FORMATS),
		active: z.boolean().optional(),
		transcoding: Transcoding.optional(),
		file_path: z.string().min(1).optional().openapi({
			description: `tapedeck: file name template under the recordings folder, with OvenMediaEngine macros; default \${Id}/\${Stream}_\${StartTime:YYYYMMDDhhmmss}_\${Sequence}.<format>`,
		}),
		info_path: z
			.string()
			.min(1)
			.optional()
			.openapi({ description: 'tapedeck: OvenMediaEngine-style info XML to append each finished file to' }),
		interval: z.number().int().positive().optional().openapi({ description: 'tapedeck: split every N media ms' }),
		schedule: z
			.string()
			.optional()
			.openapi({ description: 'tapedeck: split on "<second minute hour>" cron ticks', example: '0 */10 *' }),
		max_file_size: z.number().int().positive().optional().openapi({ description: 'tapedeck: split at N bytes' }),
		segmentation_rule: z.enum(SEGMENTATION_RULES).optional(),
		track_ids: z.array(z.number().int().min(0)).optional(),
		variant_names: z.array(z.string()).optional(),
		metadata: z.string().optional(),
	})
	.openapi('RecordingSettings');

/** An update may name only what changes: the rest of the job is kept. */
export const UpdateSchema = RecordingSettingsSchema.partial().extend({ id: ObjectId }).openapi('RecordingUpdate');
export const IdSchema = z.object({ id: ObjectId }).openapi('RecordingId');

const FilesPage = {
	files_offset: z.coerce
		.number()
		.int()
		.min(0)
		.optional()
		.openapi({ description: 'tapedeck: first recorded file listed' }),
	files_limit: z.coerce
		.number()
		.int()
		.min(0)
		.optional()
		.openapi({ description: 'tapedeck: at most this many recorded files per recording (all by default)' }),
};
export const GetByIdSchema = z.object({ id: ObjectId, ...FilesPage }).openapi('RecordingGetById');
export const GetAllSchema = z.object(FilesPage).openapi('RecordingGetAll');
export const RemoveFileSchema = z.object({ record_id: ObjectId, file_id: ObjectId }).openapi('RemoveFile');

export type RecordingSettings = z.infer<typeof RecordingSettingsSchema>;

export const RecordedFileSchema = z
	.object({
		id: z.string(),
		name: z.string().openapi({ description: 'path relative to the recordings folder' }),
		path: z.string().openapi({ description: 'absolute path on the server' }),
		size: z.number().openapi({ description: 'bytes' }),
		duration: z.number().openapi({ description: 'media seconds' }),
		start_time: z.string(),
		end_time: z.string().optional(),
		sequence: z.number(),
		state: z.enum(['writing', 'complete', 'recovered', 'failed']),
		error: z.string().optional(),
	})
	.openapi('RecordedFile');

export const RecordingSchema = z
	.object({
		id: z.string(),
		recording_name: z.string(),
		recording_type: z.enum(RECORDING_TYPES),
		input: InputSchema,
		output_format: z.enum(RECORD_FORMATS),
		active: z.boolean(),
		created: z.string(),
		modified: z.string(),
		recordedFiles: z.array(RecordedFileSchema),
		recorded_files_total: z
			.number()
			.optional()
			.openapi({ description: 'tapedeck: how many files the recording has, when recordedFiles is a page of them' }),
		api: z.string().optional().openapi({ description: 'tapedeck: the API that made a job not made through this one' }),
		state: z.enum(['ready', 'recording', 'stopping', 'stopped', 'error']).openapi({ description: 'tapedeck' }),
		state_reason: z.string().openapi({ description: 'tapedeck: what a ready recording waits for, or the error' }),
	})
	.openapi('Recording');

export const StatSchema = z
	.object({
		id: z.string(),
		bitrate: z.number().openapi({ description: 'current input bitrate, kbit/s' }),
		state: z.string(),
		state_reason: z.string(),
		packets: z.number(),
		bytes: z.number(),
		dropped_packets: z.number(),
		last_packet_at: z.string().nullable(),
		current_file: RecordedFileSchema.nullable(),
		input_stats: z.looseObject({ protocol: z.string() }).nullable().openapi({
			description:
				'tapedeck: figures of the connection publishing the stream now, when its protocol keeps them (SRT: rtt_ms, rtt_var_ms, latency_ms, packets_received, bytes_received, packets_lost, packets_retransmitted, packets_dropped, packets_duplicate, packets_belated, packets_undecrypted, nak_sent, key_refreshes, bitrate_kbps, buffer_delay_ms, connected_ms); null otherwise',
		}),
		warnings: z
			.object({
				total: z.number(),
				by_code: z.record(z.string(), z.number()),
				recent: z.array(z.object({ code: z.string(), message: z.string(), count: z.number(), last_at: z.string() })),
			})
			.openapi({
				description:
					'tapedeck: what the input carried that did not reach the file as it was (unsupported streams, dropped or corrupt data, timestamp jumps, parameter changes) and file notes: counts by code over the run, and the latest distinct ones',
			}),
	})
	.openapi('RecordingStat');

export const SuccessSchema = z.object({ success: z.boolean() }).openapi('Success');
export const CreatedSchema = z
	.object({ id: z.string(), created: z.string(), success: z.string().openapi({ example: 'true' }) })
	.openapi('Created');
export const ErrorSchema = z
	.object({
		success: z.literal(false),
		message: z.string(),
		errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
	})
	.openapi('Error');

export const UtilsStatSchema = z
	.object({
		success: z.boolean(),
		disk: z.object({
			path: z.string(),
			total_bytes: z.number(),
			free_bytes: z.number(),
			used_bytes: z.number(),
		}),
		recordings: z.object({ total: z.number(), active: z.number(), recording: z.number() }),
		modules: z
			.array(z.object({ id: z.string(), protocol: z.string(), url: z.string(), input_types: z.array(z.string()) }))
			.openapi({
				description:
					'tapedeck: the built-in listeners, by the id inputs name them with (input_module_id), and the input types that may',
			}),
		uptime_seconds: z.number(),
	})
	.openapi('UtilsStat');
