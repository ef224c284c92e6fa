/**
 * Finds, reads and validates the configuration, then layers the sources:
 *   command-line flags > ROUNDTABLE_SERVER env > config file > schema defaults.
 *
 * Search order (first hit wins; `configPath` skips the search):
 *   1. in `cwd`: .roundtablerc, .roundtablerc.yaml, .roundtablerc.yml,
 *      roundtable.config.yaml, roundtable.config.yml
 *   2. $XDG_CONFIG_HOME/roundtable/config.yaml (or .yml), XDG_CONFIG_HOME
 *      defaulting to ~/.config
 *
 * All files are YAML (JSON is valid YAML). Files are never executed: the
 * JavaScript loaders cosmiconfig would use for .js/.ts names are replaced by
 * the YAML loader.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import { ConfigError, type ConfigProblem } from '../core/errors.js';
import { problemsFromIssues, renderProblem } from './problems.js';
import { buildConfigSchema, hostContext, type Config, type ConfigSchema, type DeepPartial } from './schema.js';

export const MODULE_NAME = 'roundtable';
export const PROJECT_SEARCH_PLACES = [
  '.roundtablerc',
  '.roundtablerc.yaml',
  '.roundtablerc.yml',
  'roundtable.config.yaml',
  'roundtable.config.yml',
] as const;
export const USER_SEARCH_PLACES = ['config.yaml', 'config.yml'] as const;
export const SERVER_ENV_VAR = 'ROUNDTABLE_SERVER';
export const FLAGS_SOURCE = 'command-line flags';

export type ConfigOrigin = 'default' | 'file' | 'env' | 'flag';

export interface LoadConfigOptions {
  /** Explicit file (`--config FILE`), relative to `cwd`; no search when set. */
  configPath?: string;
  /** Where the project search looks (default process.cwd()). */
  cwd?: string;
  /** Home directory for ~/.config/roundtable and default paths (default os.homedir()). */
  homeDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags; they win over everything. */
  overrides?: DeepPartial<Config>;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file the values came from, or null when no file was found. */
  source: string | null;
  /** Where each setting's value came from, keyed by dotted path (arrays are one setting). */
  origins: Record<string, ConfigOrigin>;
}

const CONFIG_HINT = 'see config.example.yaml for every setting and its accepted values';

/** The directory searched for the per-user file: $XDG_CONFIG_HOME/roundtable or ~/.config/roundtable. */
export function userConfigDir(homeDir: string, env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homeDir, '.config');
  return path.join(base, MODULE_NAME);
}

interface YamlException extends Error {
  reason?: string;
  mark?: { line: number; column: number };
}

const yamlLoader: Loader = async (filepath, content) => {
  try {
    return await defaultLoaders['.yaml'](filepath, content);
  } catch (error) {
    const yamlError = error as YamlException;
    if (yamlError.mark) {
      const line = yamlError.mark.line + 1;
      const column = yamlError.mark.column + 1;
      throw new ConfigError(`${filepath}:${line}:${column}: YAML syntax error: ${yamlError.reason ?? 'cannot parse'}`, {
        source: filepath,
        line,
        hint: 'fix the YAML at that line (indent with spaces, quote values containing ":" or "#")',
        cause: error,
      });
    }
    throw error;
  }
};

function explorer(searchPlaces: readonly string[]) {
  return cosmiconfig(MODULE_NAME, {
    searchPlaces: [...searchPlaces],
    searchStrategy: 'none',
    cache: false,
    // An empty file still counts as found: the user chose it, and it means "all defaults".
    ignoreEmptySearchPlaces: false,
    // Every name a file may have is read as YAML; nothing is imported or executed.
    loaders: {
      '.yaml': yamlLoader,
      '.yml': yamlLoader,
      '.json': yamlLoader,
      '.js': yamlLoader,
      '.ts': yamlLoader,
      '.cjs': yamlLoader,
      '.mjs': yamlLoader,
      noExt: yamlLoader,
      default: yamlLoader,
    },
  });
}

function fileError(filepath: string, error: unknown): ConfigError {
  if (error instanceof ConfigError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new ConfigError(`config file not found: ${filepath}`, { source: filepath, hint: 'check the --config path', cause: error });
  }
  if (code === 'EISDIR') {
    return new ConfigError(`config path is a directory, not a file: ${filepath}`, { source: filepath, cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new ConfigError(`cannot read config file ${filepath}: ${reason}`, { source: filepath, cause: error });
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Reads the file the options point at: `{ data: undefined }` when there is none. */
async function readConfigFile(opts: { configPath?: string; cwd: string; homeDir: string; env: NodeJS.ProcessEnv }): Promise<{ data: unknown; source: string | null }> {
  if (opts.configPath !== undefined) {
    const filepath = path.resolve(opts.cwd, opts.configPath);
    // cosmiconfig reports a missing file as a bare ENOENT; check first for a clear message.
    if (!(await exists(filepath))) throw fileError(filepath, Object.assign(new Error('missing'), { code: 'ENOENT' }));
    try {
      const result = await explorer(PROJECT_SEARCH_PLACES).load(filepath);
      return { data: result?.config, source: filepath };
    } catch (error) {
      throw fileError(filepath, error);
    }
  }
  const places: Array<[readonly string[], string]> = [
    [PROJECT_SEARCH_PLACES, opts.cwd],
    [USER_SEARCH_PLACES, userConfigDir(opts.homeDir, opts.env)],
  ];
  for (const [searchPlaces, dir] of places) {
    let result;
    try {
      result = await explorer(searchPlaces).search(dir);
    } catch (error) {
      const filepath = (error as { filepath?: string }).filepath ?? (error instanceof ConfigError ? error.source : dir);
      throw fileError(filepath, error);
    }
    if (result) return { data: result.config, source: result.filepath };
  }
  return { data: undefined, source: null };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Later layers win; plain objects merge key by key; arrays and scalars replace; undefined is "not set". */
export function mergeLayers(...layers: unknown[]): unknown {
  return layers.reduce<unknown>((below, above) => mergeTwo(below, above), undefined);
}

function mergeTwo(below: unknown, above: unknown): unknown {
  if (above === undefined) return below;
  if (!isPlainObject(above)) return above;
  // A fresh object each time, so merging never mutates a caller's layer.
  const merged: Record<string, unknown> = isPlainObject(below) ? { ...below } : {};
  for (const [key, value] of Object.entries(above)) merged[key] = mergeTwo(merged[key], value);
  return merged;
}

function validate(schema: ConfigSchema, data: unknown, source: string): Config {
  const parsed = schema.safeParse(data ?? {});
  if (parsed.success) return parsed.data;
  const problems: ConfigProblem[] = problemsFromIssues(parsed.error.issues, data ?? {}, schema);
  const lines = problems.map(renderProblem);
  const message =
    lines.length === 1
      ? `invalid configuration in ${source}: ${lines[0]}`
      : `invalid configuration in ${source} (${lines.length} problems):\n${lines.map((l) => `  - ${l}`).join('\n')}`;
  throw new ConfigError(message, { source, problems, hint: CONFIG_HINT });
}

function leafPaths(value: unknown, prefix = ''): string[] {
  if (!isPlainObject(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, prefix ? `${prefix}.${key}` : key));
}

function has(layer: unknown, dotted: string): boolean {
  let current = layer;
  for (const key of dotted.split('.')) {
    if (!isPlainObject(current)) return false;
    current = current[key];
  }
  return current !== undefined;
}

export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const host = hostContext({ env, ...(opts.homeDir !== undefined ? { homeDir: opts.homeDir } : {}) });
  const cwd = opts.cwd ?? process.cwd();
  const schema = buildConfigSchema(host);

  const file = await readConfigFile({ configPath: opts.configPath, cwd, homeDir: host.homeDir, env });
  const fileLabel = file.source ?? 'the built-in defaults';
  if (file.data !== undefined && file.data !== null && !isPlainObject(file.data)) {
    throw new ConfigError(`invalid configuration in ${fileLabel}: the document is ${JSON.stringify(file.data)}; expected a YAML mapping of settings`, {
      source: fileLabel,
      problems: [{ field: '', value: file.data, expected: 'a YAML mapping of settings' }],
      hint: CONFIG_HINT,
    });
  }
  const fileLayer = file.data ?? undefined;
  let config = validate(schema, fileLayer, fileLabel);

  const envServer = env[SERVER_ENV_VAR];
  const envLayer = envServer !== undefined && envServer !== '' ? { server: envServer } : undefined;
  if (envLayer) config = validate(schema, mergeLayers(fileLayer, envLayer), `environment variable ${SERVER_ENV_VAR}`);

  const flagLayer = opts.overrides && Object.keys(opts.overrides).length > 0 ? opts.overrides : undefined;
  if (flagLayer) config = validate(schema, mergeLayers(fileLayer, envLayer, flagLayer), FLAGS_SOURCE);

  const origins: Record<string, ConfigOrigin> = {};
  for (const key of leafPaths(config)) {
    origins[key] = has(flagLayer, key) ? 'flag' : has(envLayer, key) ? 'env' : has(fileLayer, key) ? 'file' : 'default';
  }
  return { config, source: file.source, origins };
}
