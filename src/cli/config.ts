/** `tapedeck config`: the configuration `serve` would run with, or the reference of every setting. */
import { configReference, effectiveConfig } from '../config/config-reference.ts';
import { ENV } from '../config/defaults.ts';
import { loadSettings } from '../config/load.ts';

const CONFIG_USAGE = `Usage: tapedeck config [--json] [serve's options]
       tapedeck config --reference

Prints the configuration tapedeck serve would run with, given the same options, environment and
configuration file (--config, ${ENV.config}, else <data>/tapedeck.yaml, .yml or .json), as YAML
(or JSON with --json) with secrets shown as ***. A bad setting is named in one line (exit 1).
--reference prints every setting beside its default, with its meaning, variable and flag: a
configuration file that loads as the defaults, to copy and edit.`;

export async function runConfig(argv: string[]): Promise<void> {
	if (argv.includes('--help') || argv.includes('-h')) {
		console.log(CONFIG_USAGE);
		return;
	}
	if (argv.includes('--reference')) {
		console.log(configReference());
		return;
	}
	const json = argv.includes('--json');
	const { settings, file } = loadSettings(argv.filter((arg) => arg !== '--json'));
	if (!json) console.log(`# tapedeck serve's configuration (file: ${file ?? 'none'})`);
	console.log(effectiveConfig(settings, json ? 'json' : 'yaml'));
}
