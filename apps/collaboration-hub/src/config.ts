import { DEVELOPMENT_INTERNAL_API_SECRET, env, productionSecrets } from '@mcp/service-kit';
import { z } from 'zod';

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
  /** `production` requires INTERNAL_API_SECRET (see productionSecrets). */
  NODE_ENV: env.nodeEnv(),
  /** Shared secret of POST /internal/sessions/:id/events (header x-internal-secret); the development one when unset, outside production. */
  INTERNAL_API_SECRET: env.string(DEVELOPMENT_INTERNAL_API_SECRET),
  /** Browser origins allowed to open Socket.IO connections (comma-separated); empty = same origin only. */
  SOCKET_CORS_ORIGINS: env.list(),
  /** How long shutdown lets in-flight HTTP requests finish before closing their connections. */
  DRAIN_TIMEOUT_MS: env.positiveInt(5_000),
  /** Bound of each /ready dependency check. */
  READINESS_TIMEOUT_MS: env.positiveInt(1_000),
}).superRefine(productionSecrets('INTERNAL_API_SECRET'));

export type HubConfig = z.infer<typeof ConfigSchema>;
