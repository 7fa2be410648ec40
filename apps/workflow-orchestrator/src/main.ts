import { createModelRouterClient } from '@mcp/contracts';
import { isShuttingDown, onShutdown } from '@mcp/otel-bootstrap';
import { loadConfigOrExit, runService, serverOwningListener } from '@mcp/service-kit';
import { buildApp } from './app';
import { ConfigSchema, usesDefaultSecret } from './config';
import { createRunStore } from './services/run-store.factory';

// On shutdown Fastify stops accepting and drains (from then /ready says draining), then the clients close.
void runService(
  {
    name: 'workflow-orchestrator',
    loadConfig: () => loadConfigOrExit(ConfigSchema),
    settings: (config) => ({ logLevel: config.LOG_LEVEL, port: config.PORT, host: config.HOST, drainTimeoutMs: config.DRAIN_TIMEOUT_MS }),
    async build(config, logger) {
      if (usesDefaultSecret(config)) logger.warn('INTERNAL_API_SECRET is not set: using the development secret for the collaboration-hub');
      if (config.EXTERNAL_API_ALLOWLIST.length === 0) logger.warn('EXTERNAL_API_ALLOWLIST is empty: every external_api step is rejected');
      const runStore = createRunStore(config, logger);
      const modelRouter = createModelRouterClient(config.MODEL_ROUTER_ADDRESS);
      const app = await buildApp({ config, logger, runStore, modelRouter, isDraining: isShuttingDown });
      return {
        listener: serverOwningListener(app),
        closeAfterDrain: { 'model-router client': () => modelRouter.close(), 'run store': () => runStore.close() },
      };
    },
  },
  onShutdown,
);
