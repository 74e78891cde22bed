/** Option parsing shared by the subcommands: node:util's parseArgs, strict, with errors in tapedeck's words. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { TapedeckError } from '../core/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export const parseCommandLine = <O extends Options>(argv: readonly string[], options: O, command: string) => {
	try {
		return parseArgs({ args: [...argv], options, allowPositionals: true as const, strict: true as const });
	} catch (error) {
		// parseArgs says e.g. "Unknown option '--fromat'. To specify a positional argument starting with…".
		const reason = ((error as Error).message.split('. ')[0] ?? String(error)).replace(/\.$/, '');
		throw new TapedeckError('invalid_argument', `${command}: ${reason}; see tapedeck ${command} --help`);
	}
};
