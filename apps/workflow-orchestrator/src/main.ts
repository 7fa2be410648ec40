import type { AddressInfo } from 'node:net';
import { createModelRouterClient } from '@mcp/contracts';
import { WorkflowTracer } from '@mcp/mcp-metrics';
import { isShuttingDown, onShutdown } from '@mcp/otel-bootstrap';
import { createLogger } from '@mcp/service-kit';
import { buildApp } from './app';
import { loadConfig, usesDefaultSecret } from './config';
import { createRunStore } from './services/run-store.factory';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('workflow-orchestrator', config.LOG_LEVEL);
  if (usesDefaultSecret(config)) logger.warn('INTERNAL_API_SECRET is not set: using the development secret for the collaboration-hub');
  if (config.EXTERNAL_API_ALLOWLIST.length === 0) logger.warn('EXTERNAL_API_ALLOWLIST is empty: every external_api step is rejected');

  const runStore = createRunStore(config, logger);
  const modelRouter = createModelRouterClient(config.MODEL_ROUTER_ADDRESS);
  const app = await buildApp({ config, logger, runStore, modelRouter, tracer: new WorkflowTracer(), isDraining: isShuttingDown });

  await app.listen({ port: config.PORT, host: config.HOST });
  const { port } = app.server.address() as AddressInfo;
  logger.info({ port }, 'listening');

  // In order: stop accepting and drain (from here /ready says draining), then close the clients.
  onShutdown(async () => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, config.DRAIN_TIMEOUT_MS);
    });
    await Promise.race([app.close(), deadline]);
    clearTimeout(timer);
    // Whatever is still open after the drain deadline is cut.
    app.server.closeAllConnections();
  }, 'http-server');
  onShutdown(() => modelRouter.close(), 'model-router-client');
  onShutdown(() => runStore.close(), 'run-store');
}

main().catch((error: unknown) => {
  process.stderr.write(`workflow-orchestrator failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
