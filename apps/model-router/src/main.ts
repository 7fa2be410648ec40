import { onShutdown } from '@mcp/otel-bootstrap';
import { loadConfigOrExit, runService } from '@mcp/service-kit';
import { buildApp } from './app.js';
import { ConfigSchema } from './config.js';
import { bindServer } from './grpc-server.util.js';

void runService(
  {
    name: 'model-router',
    loadConfig: () => loadConfigOrExit(ConfigSchema),
    settings: (config) => ({ logLevel: config.LOG_LEVEL, port: config.PORT, host: config.HOST, drainTimeoutMs: config.GRPC_DRAIN_TIMEOUT_MS }),
    async build(config, logger) {
      const app = buildApp({ config, logger });
      logger.info(
        {
          latency_scale: config.MODEL_LATENCY_SCALE,
          extra_latency_ms: config.MODEL_EXTRA_LATENCY_MS,
          failure_rate: config.MODEL_FAILURE_RATE,
          models: app.registry.names(),
        },
        'model router configured',
      );
      // Draining is the app's ordered stop: health NOT_SERVING, no new calls, in-flight ones finish.
      return { listener: { listen: (port, host) => bindServer(app.server, host, port), drain: (timeoutMs) => app.shutdown(timeoutMs) } };
    },
  },
  onShutdown,
);
