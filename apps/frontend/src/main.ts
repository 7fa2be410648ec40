import { createServer } from 'node:http';
import { isShuttingDown, onShutdown } from '@mcp/otel-bootstrap';
import { createDrainer, createLogger, listen, loadConfigOrExit } from '@mcp/service-kit';
import { buildApp } from './app';
import { FrontendConfigSchema } from './config';
import { createRuntime } from './dependencies';

async function main(): Promise<void> {
  const config = loadConfigOrExit(FrontendConfigSchema);
  const logger = createLogger('frontend', config.logLevel);
  const runtime = createRuntime(config, logger);
  await runtime.start();

  const { listener } = buildApp({ ...runtime, isDraining: isShuttingDown });
  const server = createServer(listener);
  const drainer = createDrainer(server);

  // In order: /ready already answers 503 (isShuttingDown), stop accepting and finish in-flight
  // requests, then close the clients those requests used. The preload flushes telemetry last.
  onShutdown(() => drainer.drain(config.drainTimeoutMs), 'drain http server');
  onShutdown(() => runtime.modelRouter.close(), 'close model-router client');
  onShutdown(() => runtime.cache.close(), 'close cache');
  onShutdown(() => runtime.ledger.close(), 'close usage ledger');

  const port = await listen(server, config.port, config.host);
  logger.info({ port }, 'listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`frontend failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
