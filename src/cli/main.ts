/**
 * The `tapedeck` command: dispatches to a subcommand and turns every failure into one line on
 * stderr and exit code 1 (a stack only with --debug).
 */
import { TapedeckError } from '../core/errors.ts';
import { PROBE_USAGE, runProbe } from './probe.ts';
import { REMUX_USAGE, runRemux } from './remux.ts';
import { OutputClosedError } from './stdout-sink.ts';
import { VERSION } from './version.ts';

export const USAGE = `Usage: tapedeck <command> [options]

Commands:
  serve                       run the recording server (HTTP API and ingest listeners)
  remux <input> <output>      copy a TS or FLV file into ts, mp4, fmp4, mov, flv or avi
  probe <file>                show the tracks and packets tapedeck's demuxer reads from a file
  token                       issue an access token for the API
  config                      print serve's effective configuration, or --reference of every setting

Run tapedeck <command> --help for a command's options. --debug prints stack traces.

${REMUX_USAGE}

${PROBE_USAGE}`;

/** As a Unix tool killed by SIGPIPE (128 + 13): the reader of standard output went away. */
export const EXIT_OUTPUT_CLOSED = 141;

type Command = (argv: readonly string[]) => Promise<number>;

/** Subcommands; serve, token and config load lazily so remux and probe start fast. */
const COMMANDS: Record<string, Command> = {
	remux: runRemux,
	probe: runProbe,
	serve: async (argv) => {
		await (await import('./serve.ts')).runServe([...argv]);
		return 0;
	},
	token: async (argv) => {
		await (await import('./token.ts')).runToken([...argv]);
		return 0;
	},
	config: async (argv) => {
		await (await import('./config.ts')).runConfig([...argv]);
		return 0;
	},
};

/**
 * Runs the command line (without `node` and the script); resolves with the exit code. A closed
 * standard output (`tapedeck remux in.ts - | head -c 1000`) ends it quietly.
 */
export const main = async (argv: readonly string[]): Promise<number> => {
	const debug = argv.includes('--debug');
	const [name, ...rest] = argv;
	try {
		if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
			console.log(USAGE);
			return name === undefined ? 1 : 0;
		}
		if (name === '--version' || name === '-v') {
			console.log(VERSION);
			return 0;
		}
		const command = COMMANDS[name];
		if (!command) {
			throw new TapedeckError(
				'invalid_argument',
				`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')} (see tapedeck --help)`,
			);
		}
		return await command(rest);
	} catch (error) {
		if (error instanceof OutputClosedError) return EXIT_OUTPUT_CLOSED;
		console.error(`tapedeck: ${describe(error)}`);
		if (debug && error instanceof Error && error.stack) console.error(error.stack);
		return 1;
	}
};

/** One line: our own errors as they are, anything else flagged as a bug. */
const describe = (error: unknown): string => {
	if (error instanceof TapedeckError) return error.message;
	const message = error instanceof Error ? error.message : String(error);
	return `internal error: ${message.split('\n')[0]} (run with --debug for the stack)`;
};
