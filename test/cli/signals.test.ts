/**
 * SIGTERM and SIGINT sent to the process a user started — `npm start` (npm's own process), the `tapedeck` bin —
 * finalize the open file and end every process: what Docker, systemd and Ctrl-C rely on. Both run the compiled
 * bundle (dist/tapedeck.cjs), built here first as `npm install` builds it.
 */
import { test } from '../helpers/suite.ts';
import { BUILD_MS, builtBundle, ROOT } from './bundle.ts';
import { assertFinalized, recordUntilSignal } from './record-until-signal.ts';

test(
	'SIGTERM to npm start (npm 10/11 forward it to the exec-ed node) finalizes the file and ends every process',
	async () => {
		await builtBundle();
		await assertFinalized(await recordUntilSignal(['npm', 'start', '--silent', '--prefix', ROOT, '--'], ['SIGTERM']));
	},
	BUILD_MS + 60_000,
);

test(
	'Ctrl-C under a terminal (SIGINT twice, from the terminal and from npm) to the tapedeck bin finalizes the file',
	async () => {
		await assertFinalized(await recordUntilSignal([await builtBundle(), 'serve'], ['SIGINT', 'SIGINT']));
	},
	BUILD_MS + 60_000,
);

test.run();
