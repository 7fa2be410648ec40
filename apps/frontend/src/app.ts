import express from 'express';
import type { Express } from 'express';
import helmet from 'helmet';
import type { RequestListener } from 'node:http';
import type { BusinessMetrics, ModelClientTracer, ModelRouterTracer } from '@mcp/mcp-metrics';
import type { DependencyCheck } from '@mcp/service-kit';
import type { Logger } from 'pino';
import type { AnswerCache } from './cache/answer-cache';
import type { ModelRouterGateway } from './clients/model-router.gateway';
import type { OrchestratorClient } from './clients/orchestrator.client';
import type { FrontendConfig } from './config';
import { createGraphqlHandler, graphqlPostOnly } from './graphql/graphql.handler';
import { buildSchema } from './graphql/schema';
import { errorHandler, notFound } from './http/errors.middleware';
import { jsonBodies } from './http/json-body.middleware';
import { apiRateLimit, corsPolicy } from './http/security.middleware';
import type { UsageLedger } from './ledger/usage-ledger';
import { healthRoutes } from './routes/health.routes';
import { otlpProxyRoutes } from './routes/otlp-proxy.routes';
import { webRoutes } from './routes/web.routes';
import { routeRoutes } from './routes/route.routes';
import { workflowRoutes } from './routes/workflow.routes';
import { createRouteService } from './services/route.service';
import { createUsageService } from './services/usage.service';
import { createWorkflowService } from './services/workflow.service';
import type { FrontendMetrics } from './telemetry/frontend.metrics';

/** Everything the app is built from: config values, clients and the process's single telemetry instances. */
export interface FrontendDependencies {
  config: Pick<
    FrontendConfig,
    | 'cacheKeyPrefix'
    | 'cacheTtlSeconds'
    | 'modelRouterDeadlineMs'
    | 'readyTimeoutMs'
    | 'rateLimitPerMinute'
    | 'corsOrigins'
    | 'trustProxyHops'
    | 'graphqlMaxDepth'
    | 'graphqlMaxFields'
    | 'web'
  >;
  logger: Logger;
  cache: AnswerCache;
  ledger: UsageLedger;
  modelRouter: ModelRouterGateway;
  orchestrator: OrchestratorClient;
  routerTracer: ModelRouterTracer;
  modelClient: ModelClientTracer;
  business: BusinessMetrics;
  metrics: FrontendMetrics;
  /** Dependencies /ready checks, by name (only real ones: an embedded cache or ledger is not checked). */
  readinessChecks: Record<string, DependencyCheck>;
  /** True once shutdown started: /ready answers 503. */
  isDraining: () => boolean;
}

export interface FrontendApp {
  app: Express;
  /** The server's request listener (the Express app itself). */
  listener: RequestListener;
}

/** Builds the frontend from its dependencies; no listening, no process state, no environment. */
export function buildApp(deps: FrontendDependencies): FrontendApp {
  const { config, logger } = deps;
  const routeService = createRouteService({
    cache: deps.cache,
    ledger: deps.ledger,
    modelRouter: deps.modelRouter,
    routerTracer: deps.routerTracer,
    modelClient: deps.modelClient,
    business: deps.business,
    metrics: deps.metrics,
    logger,
    cacheKeyPrefix: config.cacheKeyPrefix,
    cacheTtlSeconds: config.cacheTtlSeconds,
    modelRouterDeadlineMs: config.modelRouterDeadlineMs,
  });
  const workflowService = createWorkflowService(deps.orchestrator);
  const usageService = createUsageService(deps.ledger, logger);

  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxyHops > 0) app.set('trust proxy', config.trustProxyHops);

  app.use(helmet());
  app.use(corsPolicy(config.corsOrigins));
  app.use(healthRoutes({ checks: deps.readinessChecks, timeoutMs: config.readyTimeoutMs, isDraining: deps.isDraining, logger }));

  // One limiter (one counter per client) for everything that costs work: REST API and GraphQL.
  app.use(['/api', '/graphql'], apiRateLimit(config.rateLimitPerMinute));
  // Browser spans (raw protobuf/JSON, own size limit and rate limit): before JSON bodies are read.
  app.use(otlpProxyRoutes({ targetUrl: config.web.otlpProxyTargetUrl, ratePerMinute: config.web.otlpProxyRateLimitPerMinute, logger, metrics: deps.metrics }));
  app.use(jsonBodies());

  // One /api router holding the domain routers: sibling routers mounted on the same path confuse the
  // express instrumentation (http.route missing, or '/api/api/...'), which names the request spans.
  const api = express.Router();
  api.use(routeRoutes(routeService));
  api.use(workflowRoutes(workflowService));
  app.use('/api', api);
  app.post(
    '/graphql',
    createGraphqlHandler({
      schema: buildSchema({ route: routeService, workflows: workflowService, usage: usageService }),
      logger,
      maxDepth: config.graphqlMaxDepth,
      maxFields: config.graphqlMaxFields,
    }),
  );
  app.all('/graphql', graphqlPostOnly);

  app.use(webRoutes(config.web, logger));

  app.use(notFound);
  app.use(errorHandler(logger));
  return { app, listener: app };
}
