export { loadConfig, ConfigError, ENV_PREFIX } from './load.js';
export { ConfigSchema, type Config, type DatabaseConfig } from './schema.js';
export type { SbcConfig } from './sections/sbc.js';
export type { CallsConfig } from './sections/calls.js';
export { REGIONS, type Region } from './types.js';
export { Secret } from './secret.js';
export type { MediaConfig, MediaServerConfig } from './sections/media.js';
