import type { PublisherStats } from '../core/stream-hub.ts';
import type { RecordedFile, Recording, RecordingState } from './recording.ts';
import type { RecordingJob } from './recording-job.ts';
import type { RecordingWarnings } from './warning-log.ts';

/** Live figures of one job (Callaba's getStat, OME's record stats). */
export type JobStats = {
	readonly id: string;
	readonly state: RecordingState;
	readonly reason: string;
	/** Input bitrate over the last seconds, kbit/s. */
	readonly bitrateKbps: number;
	readonly packets: number;
	readonly bytes: number;
	readonly droppedPackets: number;
	readonly lastPacketAt: string | undefined;
	readonly currentFile: RecordedFile | undefined;
	/**
	 * The connection publishing the job's stream now, when its protocol reports figures (SRT: RTT,
	 * loss, retransmissions, drops, bitrate, buffer delay), whichever input feeds it: the job's own
	 * listener or caller, or a built-in listener. Undefined while nothing publishes.
	 */
	readonly input: { readonly protocol: string; readonly stats: PublisherStats } | undefined;
	/** What the input carried that did not reach the file as it was; undefined while nothing runs. */
	readonly warnings: RecordingWarnings | undefined;
};

/** The figures of `job`, from its running recording (zeros when none runs) and its stream's publisher. */
export const jobStats = (job: RecordingJob, recording: Recording | undefined, input: JobStats['input']): JobStats => {
	const stats = recording?.stats;
	return {
		id: job.id,
		state: job.state,
		reason: job.reason,
		bitrateKbps: stats?.bitrateKbps ?? 0,
		packets: stats?.packets ?? 0,
		bytes: stats?.bytes ?? 0,
		droppedPackets: stats?.droppedPackets ?? 0,
		lastPacketAt: stats?.lastPacketMs ? new Date(stats.lastPacketMs).toISOString() : undefined,
		currentFile: recording?.currentFile,
		input,
		warnings: recording?.warnings,
	};
};
