import { isShuttingDown, onShutdown } from '@mcp/otel-bootstrap';
import { createDrainer, createLogger, listen, loadConfigOrExit } from '@mcp/service-kit';
import { createHub } from './app';
import { ConfigSchema, DEV_INTERNAL_SECRET } from './config';
import { connectRedisPubSub } from './infra/redis-pubsub';
import { CollaborationMetrics } from './services/collaboration.metrics';

/** How long start-up waits for Redis before serving anyway (not ready until Redis answers). */
const REDIS_CONNECT_TIMEOUT_MS = 5_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit(ConfigSchema);
  const logger = createLogger('collaboration-hub', config.LOG_LEVEL);

  if (config.INTERNAL_API_SECRET === DEV_INTERNAL_SECRET) {
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
  const drainer = createDrainer(hub.server);

  const port = await listen(hub.server, config.PORT, config.HOST);
  logger.info({ port }, 'listening');

  // In order, within APP_SHUTDOWN_TIMEOUT_MS (the preload runs them on SIGTERM/SIGINT, /ready is 503
  // from the start): close client connections politely, drain HTTP, then the Redis connections.
  onShutdown(() => hub.closeSockets(config.ADAPTER_REQUESTS_TIMEOUT_MS), 'socket.io');
  onShutdown(() => drainer.drain(config.DRAIN_TIMEOUT_MS), 'http');
  if (redis) onShutdown(() => redis.close(config.DRAIN_TIMEOUT_MS), 'redis');
}

main().catch((error: unknown) => {
  process.stderr.write(`collaboration-hub failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
