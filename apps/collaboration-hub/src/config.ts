import { env } from '@mcp/service-kit';
import { z } from 'zod';

/** The shared secret used when INTERNAL_API_SECRET is unset: fine on a laptop, logged as a warning. */
export const DEV_INTERNAL_SECRET = 'dev-secret';

// An empty variable counts as unset, as in service-kit's own builders.
const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

/**
 * A listening port where 0 means "any free port" (tests, several instances on one machine).
 * service-kit's `env.port` accepts 1-65535 only, so this app carries its own.
 */
const listenPort = (fallback: number) =>
  z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number({ error: 'must be a port number (0-65535, 0 = any free port)' })
      .int('must be a port number (0-65535, 0 = any free port)')
      .min(0, 'must be a port number (0-65535, 0 = any free port)')
      .max(65535, 'must be a port number (0-65535, 0 = any free port)')
      .default(fallback),
  );

/**
 * A string with a default. service-kit's `env.string(fallback)` is typed `string | undefined` whether
 * or not a fallback is given, so this app carries its own.
 */
const stringOr = (fallback: string) => z.preprocess(unsetIfEmpty, z.string().default(fallback));

/** The collaboration-hub's environment. Parsed once, in main.ts; nothing else reads process.env. */
export const ConfigSchema = z.object({
  /** HTTP + Socket.IO port; 0 binds a free one (the bound port is logged). */
  PORT: listenPort(3002),
  /** Interface to bind; 0.0.0.0 in containers, 127.0.0.1 in tests. */
  HOST: stringOr('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
  /** Redis for the Socket.IO adapter (several hub instances); unset = in-memory adapter, one instance. */
  REDIS_URL: env.url(['redis', 'rediss']),
  /** Prefix of the adapter's Redis channels: instances with the same prefix share rooms. */
  REDIS_ADAPTER_KEY: stringOr('mcp-collaboration-hub'),
  /** How long a cross-instance query (participants, room size) waits for the other instances. */
  ADAPTER_REQUESTS_TIMEOUT_MS: env.positiveInt(2_000),
  /** Shared secret of POST /internal/sessions/:id/events (header x-internal-secret). */
  INTERNAL_API_SECRET: stringOr(DEV_INTERNAL_SECRET),
  /** Browser origins allowed to open Socket.IO connections (comma-separated); empty = same origin only. */
  SOCKET_CORS_ORIGINS: env.list(),
  /** How long shutdown lets in-flight HTTP requests finish before closing their connections. */
  DRAIN_TIMEOUT_MS: env.positiveInt(5_000),
  /** Bound of each /ready dependency check. */
  READINESS_TIMEOUT_MS: env.positiveInt(1_000),
});

export type HubConfig = z.infer<typeof ConfigSchema>;
