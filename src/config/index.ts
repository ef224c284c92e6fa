/** Public surface of the configuration module. */
export { loadConfig, mergeLayers, userConfigDir, PROJECT_SEARCH_PLACES, USER_SEARCH_PLACES, SERVER_ENV_VAR } from './load.js';
export type { LoadConfigOptions, LoadedConfig, ConfigOrigin } from './load.js';
export { DEFAULTS, DEFAULT_SERVER_URL, NAMED_KEYS, buildConfigSchema, defaultsFor, hostContext, defaultLogFile } from './schema.js';
export type { Config, ConfigInput, DeepPartial, HostContext } from './schema.js';
