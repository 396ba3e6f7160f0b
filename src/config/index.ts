export { loadConfig, ConfigError, ENV_PREFIX } from './load.js';
export { ConfigSchema, type Config, type DatabaseConfig, type SbcConfig } from './schema.js';
export { REGIONS, type Region } from './types.js';
export { Secret } from './secret.js';
export type { MediaConfig, MediaServerConfig } from './sections/media.js';
