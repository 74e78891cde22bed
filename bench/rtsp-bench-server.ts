/**
 * `tapedeck serve` with the RTSP publish listener added, for the ingest bench's `rtsp` scenario while
 * `serve` starts no RTSP listener of its own (src/cli/serve.ts lists SRT and RTMP only). Same
 * arguments as `tapedeck serve`; RTP over UDP uses ports 25600–25799. Runs under tsx.
 *
 * Usage: node --import tsx bench/rtsp-bench-server.ts --port P --data DIR --rtsp-port P [...serve options]
 */
import { RtspListener } from '../ingest/rtsp/rtsp-listener.ts';
import { startServer } from '../src/cli/serve.ts';
import { loadAccessToken, loadServeConfig } from '../src/config/load.ts';

const config = loadServeConfig(process.argv.slice(2));
const server = await startServer(config, loadAccessToken(config.dataDir));
const rtsp = new RtspListener({
	hub: server.registry,
	host: config.host,
	port: config.rtspPort,
	rtpPorts: { min: 25_600, max: 25_799 },
});
await rtsp.start();
console.error(`listening: ${rtsp.description}`);
console.log(`tapedeck (bench, with RTSP) listening on ${server.url}`);
process.once('SIGTERM', () => {
	void rtsp
		.stop()
		.then(() => server.close())
		.then(() => process.exit(0));
});
