import * as grpc from '@grpc/grpc-js';
import { MODEL_ROUTER_SERVICE, loadModelRouterProto, rpcServerMetricsInterceptor } from '@mcp/contracts';
import { BusinessMetrics, ModelRouterTracer } from '@mcp/mcp-metrics';
import type { Logger } from 'pino';
import type { ModelRouterConfig } from './config.js';
import { shutdownServer } from './grpc-server.util.js';
import { HealthService } from './handlers/health.handlers.js';
import { modelRouterHandlers } from './handlers/model-router.handlers.js';
import { InferenceService } from './services/inference.service.js';
import { createModelRegistry } from './services/model-registry.js';
import type { ModelRegistry } from './services/model-registry.js';

type GrpcConnectionConfig = Pick<ModelRouterConfig, 'GRPC_MAX_CONNECTION_IDLE_MS' | 'GRPC_KEEPALIVE_TIME_MS' | 'GRPC_KEEPALIVE_TIMEOUT_MS' | 'GRPC_MAX_RECEIVE_MESSAGE_BYTES' | 'GRPC_MAX_CONCURRENT_STREAMS'>;

export interface ModelRouterAppDeps {
  config: Pick<
    ModelRouterConfig,
    'MODEL_LATENCY_SCALE' | 'MODEL_EXTRA_LATENCY_MS' | 'MODEL_FAILURE_RATE' | 'MODEL_FAILURE_SEED' | 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT' | keyof GrpcConnectionConfig
  >;
  logger: Logger;
}

export interface ModelRouterApp {
  /** The gRPC server with ModelRouter and Health added, not bound yet. */
  readonly server: grpc.Server;
  readonly health: HealthService;
  readonly registry: ModelRegistry;
  /**
   * The ordered stop: health NOT_SERVING (watchers told, their streams ended), no new calls,
   * in-flight calls finish within `drainTimeoutMs`, then the rest are cancelled.
   */
  shutdown(drainTimeoutMs: number): Promise<'graceful' | 'forced'>;
}

/**
 * Builds the model-router from its dependencies; binding and the process belong to main.ts. Call it
 * after the preload started telemetry (main.ts does): metric instruments made earlier stay no-ops.
 */
export function buildApp(deps: ModelRouterAppDeps): ModelRouterApp {
  const { config, logger } = deps;
  const registry = createModelRegistry();
  const inference = new InferenceService(registry, {
    latencyScale: config.MODEL_LATENCY_SCALE,
    extraLatencyMs: config.MODEL_EXTRA_LATENCY_MS,
    failureRate: config.MODEL_FAILURE_RATE,
    failureSeed: config.MODEL_FAILURE_SEED,
  });
  const health = new HealthService([MODEL_ROUTER_SERVICE]);
  const { ModelRouter, Health } = loadModelRouterProto();

  // rpc.server.call.duration of every call (the gRPC instrumentation only makes spans).
  const server = new grpc.Server({ ...grpcServerOptions(config), interceptors: [rpcServerMetricsInterceptor()] });
  server.addService(
    ModelRouter.service,
    modelRouterHandlers({ inference, logger, tracer: new ModelRouterTracer({ captureMessageContent: config.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT }), business: new BusinessMetrics() }),
  );
  server.addService(Health.service, health.handlers());

  let stopping: Promise<'graceful' | 'forced'> | undefined;
  return {
    server,
    health,
    registry,
    shutdown(drainTimeoutMs) {
      stopping ??= (async () => {
        health.markNotServing();
        health.endWatches();
        const how = await shutdownServer(server, drainTimeoutMs);
        logger.info({ how }, 'grpc server stopped');
        return how;
      })();
      return stopping;
    },
  };
}

/** The server's connection bounds, from config (grpc-js's own defaults: no idle limit, no server ping, 4 MiB messages, unlimited streams). */
export function grpcServerOptions(config: GrpcConnectionConfig): grpc.ServerOptions {
  return {
    'grpc.max_connection_idle_ms': config.GRPC_MAX_CONNECTION_IDLE_MS,
    'grpc.keepalive_time_ms': config.GRPC_KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': config.GRPC_KEEPALIVE_TIMEOUT_MS,
    'grpc.max_receive_message_length': config.GRPC_MAX_RECEIVE_MESSAGE_BYTES,
    'grpc.max_concurrent_streams': config.GRPC_MAX_CONCURRENT_STREAMS,
  };
}
