import { isShuttingDown, onShutdown } from '@mcp/otel-bootstrap';
import { DEVELOPMENT_INTERNAL_API_SECRET, httpListener, loadConfigOrExit, runService } from '@mcp/service-kit';
import { createHub } from './app';
import { ConfigSchema } from './config';
import { connectRedisPubSub } from './infra/redis-pubsub';
import { CollaborationMetrics } from './services/collaboration.metrics';

/** How long start-up waits for Redis before serving anyway (not ready until Redis answers). */
const REDIS_CONNECT_TIMEOUT_MS = 5_000;

void runService(
  {
    name: 'collaboration-hub',
    loadConfig: () => loadConfigOrExit(ConfigSchema),
    settings: (config) => ({ logLevel: config.LOG_LEVEL, port: config.PORT, host: config.HOST, drainTimeoutMs: config.DRAIN_TIMEOUT_MS }),
    async build(config, logger) {
      if (config.INTERNAL_API_SECRET === DEVELOPMENT_INTERNAL_API_SECRET) {
        logger.warn('INTERNAL_API_SECRET is not set: the internal endpoint accepts the development secret');
      }
      const redis = config.REDIS_URL === undefined ? undefined : await connectRedisPubSub(config.REDIS_URL, logger, REDIS_CONNECT_TIMEOUT_MS);
      if (redis === undefined) {
        logger.warn('REDIS_URL is not set: in-memory Socket.IO adapter, rooms are not shared with other hub instances');
      } else {
        logger.info({ adapter_key: config.REDIS_ADAPTER_KEY }, 'Redis Socket.IO adapter: rooms are shared with every hub instance on this Redis');
      }
      const hub = createHub({
        config,
        logger,
        metrics: new CollaborationMetrics(),
        ...(redis ? { adapter: redis.adapter({ key: config.REDIS_ADAPTER_KEY, requestsTimeoutMs: config.ADAPTER_REQUESTS_TIMEOUT_MS }), readinessChecks: { redis: () => redis.check() } } : {}),
        isDraining: isShuttingDown,
      });
      const http = httpListener(hub.server);
      return {
        listener: {
          listen: http.listen,
          // Client connections close politely first (/ready is 503 from the start), then HTTP drains.
          drain: async (timeoutMs) => {
            await hub.closeSockets(config.ADAPTER_REQUESTS_TIMEOUT_MS);
            await http.drain(timeoutMs);
          },
        },
        ...(redis ? { closeAfterDrain: { redis: () => redis.close(config.DRAIN_TIMEOUT_MS) } } : {}),
      };
    },
  },
  onShutdown,
);
