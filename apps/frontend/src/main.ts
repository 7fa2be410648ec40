import { isShuttingDown, onShutdown } from '@mcp/otel-bootstrap';
import { createHttpServer, httpListener, loadConfigOrExit, runService } from '@mcp/service-kit';
import { buildApp } from './app';
import { FrontendConfigSchema } from './config';
import { createRuntime } from './dependencies';

// On shutdown /ready already answers 503 (isShuttingDown); the server drains, then the clients its
// requests used close, and the preload flushes telemetry last.
void runService(
  {
    name: 'frontend',
    loadConfig: () => loadConfigOrExit(FrontendConfigSchema),
    settings: (config) => ({ logLevel: config.logLevel, port: config.port, host: config.host, drainTimeoutMs: config.drainTimeoutMs }),
    async build(config, logger) {
      const runtime = createRuntime(config, logger);
      await runtime.start();
      const { listener } = buildApp({ ...runtime, isDraining: isShuttingDown });
      return {
        listener: httpListener(createHttpServer(listener, config.httpTimeouts)),
        closeAfterDrain: {
          'model-router client': () => runtime.modelRouter.close(),
          cache: () => runtime.cache.close(),
          'usage ledger': () => runtime.ledger.close(),
        },
      };
    },
  },
  onShutdown,
);
