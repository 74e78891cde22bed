/**
 * Waiting in tests: on a condition polled with a deadline, never a fixed delay standing in for "long enough".
 * `sleep` remains for pacing what a test sends and for measuring a span of time on purpose.
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; resolves to whether it held. */
export const waitFor = async (condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> => {
	const end = Date.now() + timeoutMs;
	while (Date.now() < end) {
		if (await condition()) return true;
		await sleep(50);
	}
	return condition();
};

/** Like `waitFor`, but fails with what was awaited when `timeoutMs` passes without it. */
export const waitUntil = async (
	what: string,
	condition: () => boolean | Promise<boolean>,
	timeoutMs: number,
): Promise<void> => {
	if (!(await waitFor(condition, timeoutMs))) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
};
