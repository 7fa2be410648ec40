import { parseConfig } from '@mcp/service-kit';
import { ConfigSchema, type Config } from '../../src/config';

/** The config of an explicit environment, as main.ts would parse it (throws a ConfigError listing every problem). */
export function configFrom(environment: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, environment);
}
