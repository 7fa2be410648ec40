import { LIMITS } from '@mcp/contracts';
import { DEVELOPMENT_INTERNAL_API_SECRET, env, httpServerTimeoutsEnv, productionSecrets } from '@mcp/service-kit';
import { z } from 'zod';

/** Where the page is served in development: the frontend (3000) and Vite's dev server (5173), by name and by address. */
export const DEV_PAGE_ORIGINS = ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://localhost:5173', 'http://127.0.0.1:5173'] as const;

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
  /**
   * Browser origins (`Origin` header) allowed to open Socket.IO connections, comma-separated; a
   * connection from any other origin is refused at the handshake. Unset: the dev stack's page
   * origins ({@link DEV_PAGE_ORIGINS}); production sets the page's own origin.
   */
  SOCKET_CORS_ORIGINS: env.list().transform((origins) => (origins.length > 0 ? origins : [...DEV_PAGE_ORIGINS])),
  /** Open Socket.IO connections per client address; beyond, the handshake is refused. */
  SOCKET_MAX_CONNECTIONS_PER_ADDRESS: env.positiveInt(LIMITS.socketConnectionsPerAddress),
  /** Events per second (and burst) one connection may send; beyond, acked with an error, then disconnected. */
  SOCKET_MAX_EVENTS_PER_SECOND: env.positiveInt(LIMITS.socketEventsPerSecond),
  /** Participants of one session; beyond, session:join is refused. */
  SESSION_MAX_PARTICIPANTS: env.positiveInt(LIMITS.sessionParticipants),
  /** How long shutdown lets in-flight HTTP requests finish before closing their connections. */
  DRAIN_TIMEOUT_MS: env.positiveInt(5_000),
  /** Bound of each /ready dependency check. */
  READINESS_TIMEOUT_MS: env.positiveInt(1_000),
  /** HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS, HTTP_TIMEOUTS_CHECK_INTERVAL_MS (service-kit). */
  ...httpServerTimeoutsEnv,
}).superRefine(productionSecrets('INTERNAL_API_SECRET'));

export type HubConfig = z.infer<typeof ConfigSchema>;
