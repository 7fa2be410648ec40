import { ConfigError, DEVELOPMENT_INTERNAL_API_SECRET, parseConfig } from '@mcp/service-kit';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '@mcp/contracts';
import { ConfigSchema, DEV_PAGE_ORIGINS } from './config';
import type { HubConfig } from './config';

describe('config', () => {
  it('has working defaults', () => {
    expect(parseConfig(ConfigSchema, {})).toEqual({
      PORT: 3002,
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      REDIS_URL: undefined,
      REDIS_ADAPTER_KEY: 'mcp-collaboration-hub',
      ADAPTER_REQUESTS_TIMEOUT_MS: 2000,
      NODE_ENV: undefined,
      INTERNAL_API_SECRET: DEVELOPMENT_INTERNAL_API_SECRET,
      SOCKET_CORS_ORIGINS: [...DEV_PAGE_ORIGINS],
      SOCKET_MAX_CONNECTIONS_PER_ADDRESS: LIMITS.socketConnectionsPerAddress,
      SOCKET_MAX_EVENTS_PER_SECOND: LIMITS.socketEventsPerSecond,
      SESSION_MAX_PARTICIPANTS: LIMITS.sessionParticipants,
      DRAIN_TIMEOUT_MS: 5000,
      READINESS_TIMEOUT_MS: 1000,
      HTTP_HEADERS_TIMEOUT_MS: 10000,
      HTTP_REQUEST_TIMEOUT_MS: 30000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 65000,
      HTTP_TIMEOUTS_CHECK_INTERVAL_MS: 1000,
    });
  });

  it.each([
    { env: { PORT: '0' }, key: 'PORT', value: 0 },
    { env: { PORT: '' }, key: 'PORT', value: 3002 },
    { env: { REDIS_URL: 'rediss://cache:6380/1' }, key: 'REDIS_URL', value: 'rediss://cache:6380/1' },
    { env: { INTERNAL_API_SECRET: '' }, key: 'INTERNAL_API_SECRET', value: DEVELOPMENT_INTERNAL_API_SECRET },
    { env: { SOCKET_CORS_ORIGINS: 'http://a.test, http://b.test' }, key: 'SOCKET_CORS_ORIGINS', value: ['http://a.test', 'http://b.test'] },
  ])('$key from $env', ({ env, key, value }) => {
    expect(parseConfig(ConfigSchema, env)[key as keyof HubConfig]).toEqual(value);
  });

  it('lists every problem at once', () => {
    const env = { PORT: '70000', REDIS_URL: 'http://127.0.0.1:6379', ADAPTER_REQUESTS_TIMEOUT_MS: '-1', LOG_LEVEL: 'loud' };
    let problems: string[] = [];
    try {
      parseConfig(ConfigSchema, env);
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems.map((line) => line.split(':')[0])).toEqual(['PORT', 'LOG_LEVEL', 'REDIS_URL', 'ADAPTER_REQUESTS_TIMEOUT_MS']);
  });
});
