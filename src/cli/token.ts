/** `tapedeck token [--data DIR] [--days N]`: prints a JWT for the API's `x-access-token` header. */
import { issueAccessJwt } from '../api/auth.ts';
import { DEFAULTS } from '../config/defaults.ts';
import { loadAccessToken, loadServeConfig, parseOptions } from '../config/load.ts';
import { TapedeckError } from '../core/errors.ts';

const TOKEN_USAGE = `Usage: tapedeck token [--data DIR] [--days N]

Prints a JWT (HS256, signed with the server's access token) for the API's x-access-token header.
  -d, --data <dir>   the server's data folder (default ${DEFAULTS.dataDir}); a token is generated there if none exists
  --days <n>         lifetime in days (default ${DEFAULTS.tokenDays})`;

export async function runToken(argv: string[]): Promise<void> {
	if (argv.includes('--help') || argv.includes('-h')) {
		console.log(TOKEN_USAGE);
		return;
	}
	const { values } = parseOptions(argv, { data: { type: 'string', short: 'd' }, days: { type: 'string' } });
	const days = Number(values.days ?? DEFAULTS.tokenDays);
	if (!Number.isFinite(days) || days <= 0) {
		throw new TapedeckError('invalid_argument', `--days must be a positive number, got "${values.days}"`);
	}
	const config = loadServeConfig(values.data === undefined ? [] : ['--data', values.data]);
	const token = loadAccessToken(config.dataDir);
	if (token.generated) console.error(`generated a new access token in ${token.path}`);
	console.log(await issueAccessJwt(token.secret, days));
}
