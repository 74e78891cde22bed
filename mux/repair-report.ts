/**
 * What every in-place crash repair of a recorder `.part` reports (`repairAvi`, `repairFlv`,
 * `repairTs`): the file is cut after its last whole unit, then finished as its muxer would have.
 */
export type RepairReport = {
	readonly path: string;
	readonly bytesBefore: number;
	readonly bytesAfter: number;
	/** Bytes of partial units removed from the end (what finishing adds back, an index or a trailer, is not counted). */
	readonly bytesCut: number;
};
