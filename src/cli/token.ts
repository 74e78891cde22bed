/** `tapedeck token [--data DIR] [--days N]`: prints a JWT for the API's `x-access-token` header. */
import { issueAccessJwt } from '../api/auth.ts';
import { CONFIG_SCHEMA } from '../config/config-schema.ts';
import { DEFAULTS, ENV } from '../config/defaults.ts';
import { loadAccessToken, loadServeConfig, parseOptions } from '../config/load.ts';
import { TapedeckError } from '../core/errors.ts';

const { dataDir, api } = CONFIG_SCHEMA;

const TOKEN_USAGE = `Usage: tapedeck token [--config FILE] [--data DIR] [--days N] [--jwt-max-lifetime S]

Prints a JWT (HS256) for the Callaba API's x-access-token header, signed with the server's secret:
${api.tokens.callaba.meta.env} (or api.tokens.callaba), else ${ENV.accessToken}, else <data>/access-token. It never makes a
secret: a token for a secret the server does not have would be refused.
  -c, --config <file>       the server's configuration file (${ENV.config}; default <data>/tapedeck.yaml)
  -d, --data <dir>          the server's data folder (${dataDir.meta.env}, default ${DEFAULTS.dataDir})
  --days <n>                lifetime in days, fractions allowed (default ${DEFAULTS.tokenDays})
  --jwt-max-lifetime <s>    the server's longest accepted lifetime (${api.jwtMaxLifetimeSeconds.meta.env}): a longer --days is refused`;

export async function runToken(argv: string[]): Promise<void> {
	if (argv.includes('--help') || argv.includes('-h')) {
		console.log(TOKEN_USAGE);
		return;
	}
	const { values } = parseOptions(argv, {
		config: { type: 'string', short: 'c' },
		data: { type: 'string', short: 'd' },
		days: { type: 'string' },
		'jwt-max-lifetime': { type: 'string' },
	});
	const config = loadServeConfig([
		...(values.config === undefined ? [] : ['--config', values.config]),
		...(values.data === undefined ? [] : ['--data', values.data]),
		...(values['jwt-max-lifetime'] === undefined ? [] : ['--jwt-max-lifetime', values['jwt-max-lifetime']]),
	]);
	const days = Number(values.days ?? DEFAULTS.tokenDays);
	if (!Number.isFinite(days) || days <= 0) {
		throw new TapedeckError('invalid_argument', `--days must be a positive number, got "${values.days}"`);
	}
	const maxSeconds = config.safety.jwtMaxLifetimeSeconds;
	if (days * 86_400 > maxSeconds) {
		throw new TapedeckError(
			'invalid_argument',
			`--days ${days} is longer than the server accepts (${maxSeconds / 86_400} days; see --jwt-max-lifetime)`,
		);
	}
	const secret = config.safety.credentials.callaba ?? loadAccessToken(config.dataDir, process.env, false).secret;
	console.log(await issueAccessJwt(secret, days));
}
