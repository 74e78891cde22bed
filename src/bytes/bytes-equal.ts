/** Whether two byte runs hold the same bytes (parameter sets, codec configs: short and rare, so a plain loop). */
export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
};
