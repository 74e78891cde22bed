/**
 * The crash-repair registry: for each container the recorder writes in place, the repair that
 * lives beside its muxer and makes a `.part` cut short by a crash whole where it is (whole
 * packets and access units for MPEG-TS, whole tags and onMetaData for FLV, whole chunks and
 * rebuilt indexes for AVI), with a line for the start-up report. MP4 and MOV are not repaired in
 * place: recorded fragmented, they are rebuilt into the final file by `defragmentMp4`
 * (mp4/defragment.ts), which reads every complete fragment.
 */
import { repairAvi } from './avi/repair-avi.ts';
import { repairFlv } from './flv/repair-flv.ts';
import type { RepairReport } from './repair-report.ts';
import { repairTs } from './ts/repair-ts.ts';

export type InPlaceRepairFormat = 'ts' | 'flv' | 'avi';

/** What a repair did: the bytes kept and cut, a note for the report, the media duration when the repair measured it. */
export type InPlaceRepair = RepairReport & { readonly note: string; readonly durationMs?: number };

const REPAIRS: Readonly<Record<InPlaceRepairFormat, (path: string) => Promise<InPlaceRepair>>> = {
	ts: async (path) => {
		const report = await repairTs(path);
		const note = report.bytesCut > 0 ? `cut ${report.bytesCut} bytes of partial packets and access units` : 'complete';
		return { ...report, note };
	},
	flv: async (path) => {
		const report = await repairFlv(path);
		const note = report.bytesCut > 0 ? `cut ${report.bytesCut} bytes of a partial tag` : 'complete';
		return { ...report, note, durationMs: Math.round(report.durationSeconds * 1000) };
	},
	avi: async (path) => {
		const report = await repairAvi(path);
		const note =
			report.bytesCut > 0 ? `cut ${report.bytesCut} bytes of partial chunks, index rebuilt` : 'index rebuilt';
		return { ...report, note };
	},
};

/** Repairs the `.part` at `path` in place with the repair of `format`'s muxer. */
export const repairInPlace = (format: InPlaceRepairFormat, path: string): Promise<InPlaceRepair> =>
	REPAIRS[format](path);
