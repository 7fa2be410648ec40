import { grpcStatusName } from '@mcp/contracts';
import { BusinessMetrics, ModelClientTracer, ModelRouterTracer } from '@mcp/mcp-metrics';
import type { DependencyCheck } from '@mcp/service-kit';
import type { Logger } from 'pino';
import type { FrontendDependencies } from './app';
import type { AnswerCache } from './cache/answer-cache';
import { MemoryAnswerCache } from './cache/memory-answer-cache';
import { RedisAnswerCache } from './cache/redis-answer-cache';
import { createModelRouterGateway } from './clients/model-router.gateway';
import { createOrchestratorClient } from './clients/orchestrator.client';
import type { FrontendConfig } from './config';
import type { UsageLedger } from './ledger/usage-ledger';
import { MemoryUsageLedger } from './ledger/memory-usage-ledger';
import { PgUsageLedger } from './ledger/pg-usage-ledger';
import { LedgerOutbox } from './ledger/ledger-outbox';
import { OutboxFile } from './ledger/outbox-file';
import { FrontendMetrics } from './telemetry/frontend.metrics';

/** The clients main.ts (and the tests) build from config, and close in order at shutdown. */
export interface FrontendRuntime extends Omit<FrontendDependencies, 'isDraining'> {
  /** Connects Redis (waiting at most 1 s: it is optional) and creates the ledger schema (logged, not fatal: the ledger retries on first use). */
  start(): Promise<void>;
}

interface TelemetryInstances {
  routerTracer: ModelRouterTracer;
  /** The GenAI client side of every model-router call. */
  modelClient: ModelClientTracer;
  business: BusinessMetrics;
  metrics: FrontendMetrics;
}

/** One instance of each per process: they own metric instruments. */
function createTelemetry(config: Pick<FrontendConfig, 'userHashKey' | 'modelRouterAddress' | 'genAiCaptureMessageContent'>): TelemetryInstances {
  return {
    routerTracer: new ModelRouterTracer({ service: 'frontend' }),
    modelClient: new ModelClientTracer({
      serverAddress: config.modelRouterAddress,
      captureMessageContent: config.genAiCaptureMessageContent,
      errorType: grpcStatusName,
    }),
    business: new BusinessMetrics({ userHashKey: config.userHashKey }),
    metrics: new FrontendMetrics(),
  };
}

/**
 * Real clients where the config names a server (Redis, PostgreSQL), embedded ones otherwise, each
 * choice logged; the model-router and orchestrator clients always.
 */
export function createRuntime(config: FrontendConfig, logger: Logger): FrontendRuntime {
  const telemetry = createTelemetry(config);
  let cache: AnswerCache;
  let redis: RedisAnswerCache | undefined;
  if (config.redisUrl !== undefined) {
    redis = new RedisAnswerCache({ url: config.redisUrl, commandTimeoutMs: config.redisCommandTimeoutMs, logger });
    cache = redis;
  } else {
    logger.warn({ max_entries: config.cacheMaxEntries }, 'REDIS_URL is not set: model answers are cached in process memory (not shared, lost on restart)');
    cache = new MemoryAnswerCache(config.cacheMaxEntries);
  }

  let ledger: UsageLedger;
  if (config.databaseUrl !== undefined) {
    const pgLedger = new PgUsageLedger({
      connectionString: config.databaseUrl,
      table: config.ledgerTable,
      queryTimeoutMs: config.databaseQueryTimeoutMs,
      poolMax: config.databasePoolMax,
      logger,
    });
    // PostgreSQL down: rows wait in a bounded outbox on disk and are written once it is back (see
    // ledger-outbox.ts). A file that cannot be opened stops the start: serving unrecorded is worse.
    const outbox = new LedgerOutbox(pgLedger, {
      file: new OutboxFile(config.ledgerOutboxPath),
      maxRows: config.ledgerOutboxMaxRows,
      retryMs: config.ledgerRetryMs,
      maxRetryMs: config.ledgerMaxRetryMs,
      logger,
      onWriteFailure: (error) => telemetry.metrics.recordLedgerWriteFailure(error),
    });
    telemetry.metrics.observeLedgerOutbox(() => outbox.pendingRows);
    ledger = outbox;
  } else {
    logger.warn('DATABASE_URL is not set: the usage ledger is kept in process memory (lost on restart)');
    ledger = new MemoryUsageLedger();
  }

  const modelRouter = createModelRouterGateway(config.modelRouterAddress);
  const orchestrator = createOrchestratorClient({ baseUrl: config.orchestratorUrl, timeoutMs: config.workflowTimeoutMs });

  const readinessChecks: Record<string, DependencyCheck> = {};
  if (redis) readinessChecks['redis'] = () => cache.ping();
  if (ledger.backend === 'postgres') readinessChecks['postgres'] = () => ledger.ping();
  readinessChecks['model_router'] = () => modelRouter.checkHealth(config.readyTimeoutMs);
  readinessChecks['orchestrator'] = () => orchestrator.checkHealth(config.readyTimeoutMs);

  return {
    config,
    logger,
    cache,
    ledger,
    modelRouter,
    orchestrator,
    ...telemetry,
    readinessChecks,
    async start() {
      await redis?.connect(1_000);
      try {
        await ledger.init();
        logger.info({ ledger_backend: ledger.backend, table: ledger.backend === 'postgres' ? config.ledgerTable : undefined }, 'usage ledger ready');
      } catch (error) {
        logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'usage ledger schema not created yet; retrying on first use');
      }
    },
  };
}
