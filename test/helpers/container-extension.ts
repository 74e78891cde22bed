import type { ContainerFormat } from '../../mux/muxer.ts';

/** The file extension tests give each container's output (fragmented MP4 told apart from progressive). */
export const EXTENSION: Readonly<Record<ContainerFormat, string>> = {
	ts: 'ts',
	mp4: 'mp4',
	fmp4: 'frag.mp4',
	mov: 'mov',
	flv: 'flv',
	avi: 'avi',
};
