import { env } from '@mcp/service-kit';
import { z } from 'zod';

/** The shared secret used when INTERNAL_API_SECRET is unset: fine on a laptop, logged as a warning. */
export const DEV_INTERNAL_SECRET = 'dev-secret';

/** The collaboration-hub's environment. Parsed once, in main.ts; nothing else reads process.env. */
export const ConfigSchema = z.object({
  /** HTTP + Socket.IO port; 0 binds a free one (the bound port is logged). */
  PORT: env.port(3002),
  /** Interface to bind; 0.0.0.0 in containers, 127.0.0.1 in tests. */
  HOST: env.string('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
  /** Redis for the Socket.IO adapter (several hub instances); unset = in-memory adapter, one instance. */
  REDIS_URL: env.url(['redis', 'rediss']),
  /** Prefix of the adapter's Redis channels: instances with the same prefix share rooms. */
  REDIS_ADAPTER_KEY: env.string('mcp-collaboration-hub'),
  /** How long a cross-instance query (participants, room size) waits for the other instances. */
  ADAPTER_REQUESTS_TIMEOUT_MS: env.positiveInt(2_000),
  /** Shared secret of POST /internal/sessions/:id/events (header x-internal-secret). */
  INTERNAL_API_SECRET: env.string(DEV_INTERNAL_SECRET),
  /** Browser origins allowed to open Socket.IO connections (comma-separated); empty = same origin only. */
  SOCKET_CORS_ORIGINS: env.list(),
  /** How long shutdown lets in-flight HTTP requests finish before closing their connections. */
  DRAIN_TIMEOUT_MS: env.positiveInt(5_000),
  /** Bound of each /ready dependency check. */
  READINESS_TIMEOUT_MS: env.positiveInt(1_000),
});

export type HubConfig = z.infer<typeof ConfigSchema>;
