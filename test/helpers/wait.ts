/** Waiting in tests: a plain delay, and polling a condition with a time limit. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; resolves to whether it held. */
export const waitFor = async (condition: () => boolean, timeoutMs: number): Promise<boolean> => {
	const end = Date.now() + timeoutMs;
	while (Date.now() < end) {
		if (condition()) return true;
		await sleep(50);
	}
	return condition();
};
