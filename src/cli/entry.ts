/** The process entry: runs the CLI and sets the exit code (the bundle's and the SEA binary's main). */
import { main } from './main.ts';

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		console.error(error);
		process.exitCode = 1;
	},
);
