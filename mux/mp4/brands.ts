/**
 * The brand table: what differs between the ISO BMFF flavours tapedeck writes. One muxer reads
 * this table instead of forking into an MP4 and a MOV muxer (the way Mediabunny's Mp4/Mov
 * output formats share one ISOBMFF writer).
 *
 * ISO/IEC 14496-12 §4.3 (ftyp) and Apple's QuickTime File Format Specification (Movie atoms).
 */
export type Mp4Brand = 'mp4' | 'mov';

export type BrandProfile = {
	/** ftyp major_brand. */
	readonly majorBrand: string;
	/** ftyp minor_version. */
	readonly minorVersion: number;
	/** ftyp compatible_brands. */
	readonly compatibleBrands: readonly string[];
	/**
	 * QuickTime conventions: hdlr with component types `mhlr`/`dhlr` and a Pascal-string name,
	 * a data handler hdlr in minf, `alis` data references, version 1 sound sample descriptions,
	 * and a `wide` atom in front of mdat that becomes its 64-bit header when mdat outgrows 4 GiB.
	 */
	readonly quickTime: boolean;
};

export const BRANDS: Readonly<Record<Mp4Brand | 'fmp4', BrandProfile>> = {
	mp4: {
		majorBrand: 'isom',
		minorVersion: 0x200,
		compatibleBrands: ['isom', 'iso2', 'avc1', 'mp41'],
		quickTime: false,
	},
	mov: { majorBrand: 'qt  ', minorVersion: 0x200, compatibleBrands: ['qt  '], quickTime: true },
	/** Fragmented MP4 needs iso5 or later for default-base-is-moof and signed trun offsets (§8.8.8). */
	fmp4: { majorBrand: 'iso5', minorVersion: 0x200, compatibleBrands: ['iso5', 'iso6', 'mp41'], quickTime: false },
};
