import { fileURLToPath } from 'node:url';
import { run } from './process.ts';

const SCRIPT = fileURLToPath(new URL('./gst-run.py', import.meta.url));

/**
 * Runs a GStreamer 1.22 pipeline to its end (gst-launch syntax) through Debian's python3-gi, which,
 * unlike gst-launch-1.0, can read an element's caps after the run. Returns the caps of the element
 * named "pay", if any. Throws with GStreamer's message when the pipeline fails.
 */
export const gstRun = async (pipeline: string, timeoutMs = 60_000): Promise<string> => {
	const result = await run('/usr/bin/python3', [SCRIPT, pipeline], timeoutMs);
	if (result.code !== 0) throw new Error(`GStreamer pipeline failed: ${result.stderr.trim()}\n${pipeline}`);
	return result.stdout.trim();
};
