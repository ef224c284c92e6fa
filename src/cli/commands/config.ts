/**
 * `roundtable config`: print the effective configuration (after file, env and
 * flags) and which file it came from, so "why is it using that server?" has
 * a one-command answer. Each value not at its default is annotated with
 * where it came from.
 */
import os from 'node:os';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { PROJECT_SEARCH_PLACES, SERVER_ENV_VAR, userConfigDir, type ConfigOrigin, type LoadedConfig } from '../../config/load.js';
import { cliContext } from '../context.js';
import { loadConfigFromArgv, sessionOptions, type ConfigFlags } from '../options.js';
import { toYaml } from '../yaml-out.js';

const ORIGIN_NOTE: Record<Exclude<ConfigOrigin, 'default'>, string> = {
  file: 'from config file',
  env: `from ${SERVER_ENV_VAR}`,
  flag: 'from command-line flag',
};

/** Human form: a header naming the source, then YAML that could be saved as a config file. */
export function formatEffectiveConfig(loaded: LoadedConfig, searched: { cwd: string; userDir: string }): string {
  const header = loaded.source
    ? `# Effective configuration. File: ${loaded.source}`
    : `# Effective configuration. No config file found (searched ${PROJECT_SEARCH_PLACES.join(', ')} in ${searched.cwd}, and ${path.join(searched.userDir, 'config.yaml')}); built-in defaults.`;
  const body = toYaml(loaded.config as unknown as Record<string, unknown>, (key) => {
    const origin = loaded.origins[key];
    return origin && origin !== 'default' ? ORIGIN_NOTE[origin] : undefined;
  });
  return `${header}\n${body}`;
}

export const configCommand: CommandModule<object, ConfigFlags> = {
  command: 'config',
  describe: 'Print the effective configuration and which file it came from',
  builder: (yargs: Argv) =>
    yargs
      .options(sessionOptions)
      .example('$0 config', 'Show settings and the file they were read from')
      .example('$0 config --config ./team.yaml --json', 'Validate a file and print the result as JSON')
      .example('$0 config --server wss://voice.example.org', 'See a flag override (ROUNDTABLE_SERVER works too)') as unknown as Argv<ConfigFlags>,
  handler: async (argv: ArgumentsCamelCase<ConfigFlags>) => {
    const context = cliContext();
    const loaded = await loadConfigFromArgv(argv);
    if (argv.json) {
      context.io.stdout.write(JSON.stringify({ source: loaded.source, config: loaded.config, origins: loaded.origins }, null, 2) + '\n');
      return;
    }
    const homeDir = context.homeDir ?? os.homedir();
    context.io.stdout.write(formatEffectiveConfig(loaded, { cwd: context.cwd, userDir: userConfigDir(homeDir, context.env) }));
  },
};
