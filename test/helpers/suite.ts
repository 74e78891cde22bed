/**
 * uvu's `test` with a time limit on every test and hook. uvu has none: a test awaiting an event that never comes
 * would hang the whole run without saying which test it was. Here it fails with its name and the limit, and the
 * file goes on with its next test. Use it instead of uvu's own: `import { test } from '../helpers/suite.ts'`.
 */
import { test as uvuTest } from 'uvu';

/**
 * Twice what the slowest interop test (seconds of real-time media through real peers, then a full decode) takes on
 * two loaded cores; a test slower on purpose passes its own limit.
 */
export const TEST_TIMEOUT_MS = 120_000;

type Handler = () => unknown;

/** Runs `handler`, failing with `what` and the limit when it has not settled within `timeoutMs`. */
export const withTimeout = async (what: string, handler: Handler, timeoutMs: number): Promise<void> => {
	let timer: NodeJS.Timeout | undefined;
	const expired = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
	});
	try {
		await Promise.race([handler(), expired]);
	} finally {
		clearTimeout(timer);
	}
};

type TimedTest = {
	/** A test; `timeoutMs` overrides the default limit for one that is slow on purpose. */
	(name: string, handler: Handler, timeoutMs?: number): void;
	only(name: string, handler: Handler, timeoutMs?: number): void;
	/** Counted as skipped, not run. */
	skip(name?: string, handler?: Handler): void;
	before(hook: Handler, timeoutMs?: number): void;
	after(hook: Handler, timeoutMs?: number): void;
	run(): void;
};

export const test: TimedTest = Object.assign(
	(name: string, handler: Handler, timeoutMs = TEST_TIMEOUT_MS) =>
		uvuTest(name, () => withTimeout(`test "${name}"`, handler, timeoutMs)),
	{
		only: (name: string, handler: Handler, timeoutMs = TEST_TIMEOUT_MS) =>
			uvuTest.only(name, () => withTimeout(`test "${name}"`, handler, timeoutMs)),
		skip: (name?: string) => uvuTest.skip(name),
		before: (hook: Handler, timeoutMs = TEST_TIMEOUT_MS) =>
			uvuTest.before(() => withTimeout('before hook', hook, timeoutMs)),
		after: (hook: Handler, timeoutMs = TEST_TIMEOUT_MS) =>
			uvuTest.after(() => withTimeout('after hook', hook, timeoutMs)),
		run: () => uvuTest.run(),
	},
);
