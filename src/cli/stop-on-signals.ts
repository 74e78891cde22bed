/**
 * SIGTERM (what Docker, systemd and `kill` send) and SIGINT (Ctrl-C) stop the server cleanly: every open file
 * is finalized, then the process exits 0. Installed before the server starts, so a signal during start-up waits
 * for it and then stops it, instead of killing the process with its default action.
 */

/** What can be stopped: `tapedeck serve`'s running server. */
export type Stoppable = { close(): Promise<void> };

export const stopOnSignals = (server: Promise<Stoppable>, say: (line: string) => void = console.log): void => {
	let stopping = false;
	// The handlers stay installed while stopping: Ctrl-C under `npm start` delivers SIGINT twice (the terminal
	// signals the whole process group, and npm forwards its own copy), and a second SIGINT with its default action
	// would kill the process before its files are finalized. A stop that hangs is ended with SIGKILL.
	const stop = (signal: NodeJS.Signals): void => {
		if (stopping) {
			say(`${signal}: already finalizing open recordings (SIGKILL ends at once, without finalizing)`);
			return;
		}
		stopping = true;
		say(`${signal}: finalizing open recordings…`);
		server
			.then((running) => running.close())
			.then(
				() => process.exit(0),
				(error: unknown) => {
					console.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
					process.exit(1);
				},
			);
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
};
