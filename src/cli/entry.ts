/** The process entry: runs the CLI and sets the exit code (the bundle's and the SEA binary's main). */
import { EXIT_OUTPUT_CLOSED, main } from './main.ts';

// A reader that closes standard output early (`tapedeck probe f.ts | head -1`) chose to stop
// reading: leave quietly, as a Unix tool killed by SIGPIPE does, instead of an EPIPE stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code !== 'EPIPE') console.error(`tapedeck: cannot write to standard output: ${error.message}`);
	process.exit(error.code === 'EPIPE' ? EXIT_OUTPUT_CLOSED : 1);
});

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		console.error(error);
		process.exitCode = 1;
	},
);
