import { LIMITS } from '@mcp/contracts';
import { createHttpServer, httpServerTimeouts, type DependencyCheck, type httpServerTimeoutsEnv } from '@mcp/service-kit';
import type { Logger } from 'pino';
import Router from '@koa/router';
import Koa from 'koa';
import type { Server as HttpServer, RequestListener } from 'node:http';
import { Server } from 'socket.io';
import type { ServerOptions } from 'socket.io';
import type { HubConfig } from './config';
import { ConnectionLimits } from './handlers/connection-limits';
import { registerSessionHandlers } from './handlers/session.handlers';
import { errorMiddleware } from './routes/error.middleware';
import { registerHealthRoutes } from './routes/health.routes';
import { registerSessionRoutes } from './routes/sessions.routes';
import type { CollaborationMetrics } from './services/collaboration.metrics';
import { CollaborationService } from './services/collaboration.service';
import { SessionRegistry } from './services/session-registry.service';
import type { HubServer } from './socket.types';

export interface HubDependencies {
  config: Pick<
    HubConfig,
    | 'INTERNAL_API_SECRET'
    | 'SOCKET_CORS_ORIGINS'
    | 'SOCKET_MAX_CONNECTIONS_PER_ADDRESS'
    | 'SOCKET_MAX_EVENTS_PER_SECOND'
    | 'SESSION_MAX_PARTICIPANTS'
    | 'READINESS_TIMEOUT_MS'
    | 'ADAPTER_REQUESTS_TIMEOUT_MS'
    | keyof typeof httpServerTimeoutsEnv
  >;
  logger: Logger;
  /** The process's one collaboration metrics (one BusinessMetrics). */
  metrics: CollaborationMetrics;
  /** Socket.IO adapter factory, e.g. `createAdapter(pub, sub)` of `@socket.io/redis-adapter`; default in-memory. */
  adapter?: ServerOptions['adapter'];
  /** Checks `/ready` runs (Redis when configured). */
  readinessChecks?: Record<string, DependencyCheck>;
  /** True once shutdown started: `/ready` answers 503. */
  isDraining?: () => boolean;
}

/** The hub, built and not listening: one HTTP server carrying Koa and Socket.IO. */
export interface Hub {
  server: HttpServer;
  io: HubServer;
  koa: Koa;
  collaboration: CollaborationService;
  /**
   * First shutdown step: refuses new Socket.IO connections, closes every client connection (clients
   * see a transport close and reconnect, to another instance if this one is going away), waits up to
   * `timeoutMs` for their cleanups (each tells its rooms that the participant left), stops publishing
   * (`CollaborationService.stop`), then closes the adapter (its Redis subscriptions). Leaves the HTTP server to the drainer: `io.close()` would also close it, but
   * without a deadline and without letting in-flight requests finish first.
   */
  closeSockets(timeoutMs: number): Promise<void>;
}

export function createHub(deps: HubDependencies): Hub {
  const { config, logger } = deps;
  let accepting = true;
  const pendingCleanups = new Set<Promise<unknown>>();

  const koa = new Koa();
  // Koa composes its middleware when callback() is called, so the server calls it through a
  // reference set once the routes exist; Socket.IO must attach to the server before that.
  let handleRequest: RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = createHttpServer((req, res) => handleRequest(req, res), httpServerTimeouts(config));
  const limits = new ConnectionLimits({
    allowedOrigins: config.SOCKET_CORS_ORIGINS,
    maxConnectionsPerAddress: config.SOCKET_MAX_CONNECTIONS_PER_ADDRESS,
    maxEventsPerSecond: config.SOCKET_MAX_EVENTS_PER_SECOND,
    isAccepting: () => accepting,
    logger,
  });
  const io: HubServer = new Server(server, {
    maxHttpBufferSize: LIMITS.socketPacketBytes,
    serveClient: false,
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
    cors: { origin: [...config.SOCKET_CORS_ORIGINS] },
    allowRequest: limits.allowRequest,
  });
  limits.track(io);

  const collaboration = new CollaborationService({
    io,
    registry: new SessionRegistry(),
    metrics: deps.metrics,
    logger,
    requestsTimeoutMs: config.ADAPTER_REQUESTS_TIMEOUT_MS,
    maxParticipants: config.SESSION_MAX_PARTICIPANTS,
  });
  registerSessionHandlers(io, {
    collaboration,
    logger,
    limits,
    trackCleanup: (cleanup) => {
      pendingCleanups.add(cleanup);
      void cleanup.finally(() => pendingCleanups.delete(cleanup));
    },
  });

  // Routes first: the Koa instrumentation reads the router's stack when the router is mounted.
  const router = new Router();
  registerHealthRoutes(router, {
    checks: deps.readinessChecks ?? {},
    timeoutMs: config.READINESS_TIMEOUT_MS,
    isDraining: () => !accepting || (deps.isDraining?.() ?? false),
    logger,
  });
  registerSessionRoutes(router, { collaboration, internalSecret: config.INTERNAL_API_SECRET });
  koa.use(errorMiddleware(logger));
  koa.use(router.routes());
  koa.use(router.allowedMethods());
  koa.on('error', (error: unknown) => logger.warn({ err: error }, 'koa error'));
  handleRequest = koa.callback();

  return {
    server,
    io,
    koa,
    collaboration,
    async closeSockets(timeoutMs: number) {
      accepting = false;
      io.engine.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...pendingCleanups]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      collaboration.stop();
      await io.of('/').adapter.close();
    },
  };
}
