/** mux.js ships no types; the bench peer narrows what it uses. */
declare module 'mux.js' {
	const muxjs: unknown;
	export default muxjs;
}
