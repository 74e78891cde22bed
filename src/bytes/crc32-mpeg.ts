/**
 * CRC-32/MPEG-2, the CRC that ends every PSI section (ISO/IEC 13818-1 Annex A): polynomial
 * 0x04C11DB7, initial value 0xFFFFFFFF, bits not reflected, no final XOR. Run over a whole
 * section including its CRC_32 field, it yields 0.
 */
const TABLE = (() => {
	const table = new Uint32Array(256);
	for (let i = 0; i < 256; i++) {
		let crc = i << 24;
		for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
		table[i] = crc >>> 0;
	}
	return table;
})();

/** CRC-32/MPEG-2 of `data[start, end)`, as an unsigned 32-bit number. */
export const crc32Mpeg = (data: Uint8Array, start = 0, end = data.length): number => {
	let crc = 0xffffffff;
	for (let i = start; i < end; i++) crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ data[i]!) & 0xff]!;
	return crc >>> 0;
};
