/**
 * How the timestamps of a recording's files relate to each other (OME's `segmentationRule`):
 * - `discontinuity`: every file starts at 0;
 * - `continuity`: file 0 starts at 0 and each later file carries on where the previous ended, also
 *   after the source restarted, where OME merely passes the engine's clock through.
 */
export type SegmentationRule = 'continuity' | 'discontinuity';

export const SEGMENTATION_RULES: readonly SegmentationRule[] = ['continuity', 'discontinuity'];
