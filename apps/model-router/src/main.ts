import { onShutdown } from '@mcp/otel-bootstrap';
import { createLogger, loadConfigOrExit } from '@mcp/service-kit';
import { BusinessMetrics, ModelRouterTracer } from '@mcp/mcp-metrics';
import { buildApp } from './app';
import { ConfigSchema } from './config';
import { bindServer } from './grpc-server.util';

async function main(): Promise<void> {
  const config = loadConfigOrExit(ConfigSchema);
  const logger = createLogger('model-router', config.LOG_LEVEL);
  // Built here, once, after the preload registered the SDK: metric instruments made earlier stay no-ops.
  const app = buildApp({ config, logger, tracer: new ModelRouterTracer(), business: new BusinessMetrics() });

  const port = await bindServer(app.server, config.HOST, config.PORT);
  onShutdown(async (reason) => {
    logger.info({ reason }, 'shutting down');
    await app.shutdown(config.GRPC_DRAIN_TIMEOUT_MS);
  }, 'model-router grpc server');

  logger.info(
    {
      latency_scale: config.MODEL_LATENCY_SCALE,
      extra_latency_ms: config.MODEL_EXTRA_LATENCY_MS,
      failure_rate: config.MODEL_FAILURE_RATE,
      models: app.registry.names(),
    },
    'model router configured',
  );
  logger.info({ port }, 'listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`model-router failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
