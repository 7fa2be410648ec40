import { resolve } from 'node:path';
import { env, httpServerTimeouts, httpServerTimeoutsEnv, productionSecrets } from '@mcp/service-kit';
import { z } from 'zod';

/** A SQL identifier we interpolate (tables cannot be bind parameters): optionally schema-qualified, lower case. */
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/;

/** As in service-kit: an empty variable counts as unset. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

const nonNegativeInt = (fallback: number) =>
  z.preprocess(unsetIfEmpty, z.coerce.number({ error: 'must be a non-negative integer' }).int('must be a non-negative integer').min(0, 'must be a non-negative integer').default(fallback));

/**
 * The frontend's environment. Parsed once, in main.ts; nothing else reads process.env. Telemetry
 * settings (OTEL_*) are the preload's business, not this schema's.
 */
export const FrontendConfigSchema = z
  .object({
    PORT: env.port(3000),
    HOST: env.string('0.0.0.0'),
    LOG_LEVEL: env.logLevel(),
    REDIS_URL: env.url(['redis', 'rediss']),
    DATABASE_URL: env.url(['postgres', 'postgresql']),
    MODEL_ROUTER_ADDRESS: env.hostPort('127.0.0.1:50051'),
    MODEL_ROUTER_DEADLINE_MS: env.positiveInt(5_000),
    WORKFLOW_ORCHESTRATOR_URL: env.url(['http', 'https']),
    WORKFLOW_TIMEOUT_MS: env.positiveInt(30_000),
    ROUTE_CACHE_TTL_SECONDS: env.positiveInt(3_600),
    CACHE_KEY_PREFIX: z.preprocess(unsetIfEmpty, z.string().default('mcp:').pipe(z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1-64 characters of letters, digits, : _ . -'))),
    CACHE_MAX_ENTRIES: env.positiveInt(1_000),
    REDIS_COMMAND_TIMEOUT_MS: env.positiveInt(500),
    LEDGER_TABLE: z.preprocess(unsetIfEmpty, z.string().default('usage_ledger').pipe(z.string().regex(SQL_IDENTIFIER, 'must be a lower-case SQL identifier, optionally schema.table'))),
    DATABASE_QUERY_TIMEOUT_MS: env.positiveInt(5_000),
    DATABASE_POOL_MAX: env.positiveInt(10),
    LEDGER_OUTBOX_MAX_ROWS: env.positiveInt(10_000),
    // Relative to the working directory; the directory must be writable (a volume in a container).
    LEDGER_OUTBOX_PATH: env.string('data/ledger-outbox.sqlite'),
    LEDGER_RETRY_MS: env.positiveInt(500),
    LEDGER_MAX_RETRY_MS: env.positiveInt(5_000),
    READY_TIMEOUT_MS: env.positiveInt(1_000),
    DRAIN_TIMEOUT_MS: env.positiveInt(5_000),
    RATE_LIMIT_PER_MINUTE: env.positiveInt(600),
    CORS_ORIGINS: env.list(),
    TRUST_PROXY_HOPS: nonNegativeInt(0),
    /** `production` requires USER_HASH_KEY (see productionSecrets). */
    NODE_ENV: env.nodeEnv(),
    /** HMAC key of `mcp.user_hash`; outside production it may be unset (plain SHA-256). */
    USER_HASH_KEY: env.string(),
    /** `true`: prompt and answer text on the GenAI client spans; default off. */
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: env.otelFlag(),
    // HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS, HTTP_TIMEOUTS_CHECK_INTERVAL_MS (service-kit).
    ...httpServerTimeoutsEnv,
    GRAPHQL_MAX_DEPTH: env.positiveInt(6),
    GRAPHQL_MAX_FIELDS: env.positiveInt(200),
    // The web page (apps/web) and its OTLP proxy: see src/routes/web.routes.ts and otlp-proxy.routes.ts.
    // The proxy forwards browser spans to this process's own trace endpoint, hence the two OTEL_* reads.
    // Read leniently, as the preload does: a bad telemetry setting never stops the service.
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.string(),
    OTEL_EXPORTER_OTLP_ENDPOINT: env.string(),
    OTLP_PROXY_RATE_LIMIT_PER_MINUTE: env.positiveInt(120),
    // Where the proxy sends browser spans: a Collector receiver for untrusted data (deploy/otel-collector,
    // port 4319) when set, else this process's own trace endpoint.
    OTLP_PROXY_TARGET_URL: env.url(['http', 'https']),
    WEB_JAEGER_URL: env.url(['http', 'https']),
    JAEGER_UI_URL: env.url(['http', 'https']),
    WEB_HUB_URL: env.url(['http', 'https']),
    COLLABORATION_HUB_URL: env.url(['http', 'https']),
    WEB_DIST_DIR: env.string(),
  })
  .superRefine(productionSecrets('USER_HASH_KEY'))
  .transform((e) => ({
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    modelRouterAddress: e.MODEL_ROUTER_ADDRESS,
    modelRouterDeadlineMs: e.MODEL_ROUTER_DEADLINE_MS,
    orchestratorUrl: (e.WORKFLOW_ORCHESTRATOR_URL ?? 'http://127.0.0.1:3001').replace(/\/+$/, ''),
    workflowTimeoutMs: e.WORKFLOW_TIMEOUT_MS,
    cacheTtlSeconds: e.ROUTE_CACHE_TTL_SECONDS,
    cacheKeyPrefix: e.CACHE_KEY_PREFIX,
    cacheMaxEntries: e.CACHE_MAX_ENTRIES,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    ledgerTable: e.LEDGER_TABLE,
    databaseQueryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
    databasePoolMax: e.DATABASE_POOL_MAX,
    ledgerOutboxMaxRows: e.LEDGER_OUTBOX_MAX_ROWS,
    ledgerOutboxPath: resolve(e.LEDGER_OUTBOX_PATH),
    ledgerRetryMs: e.LEDGER_RETRY_MS,
    ledgerMaxRetryMs: e.LEDGER_MAX_RETRY_MS,
    readyTimeoutMs: e.READY_TIMEOUT_MS,
    httpTimeouts: httpServerTimeouts(e),
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    corsOrigins: e.CORS_ORIGINS,
    trustProxyHops: e.TRUST_PROXY_HOPS,
    userHashKey: e.USER_HASH_KEY,
    genAiCaptureMessageContent: e.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
    graphqlMaxDepth: e.GRAPHQL_MAX_DEPTH,
    graphqlMaxFields: e.GRAPHQL_MAX_FIELDS,
    web: webConfig(e),
  }));

/** Where browser spans go (the specification's defaults) and what the page is told (GET /config.json). */
function webConfig(e: {
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTLP_PROXY_RATE_LIMIT_PER_MINUTE: number;
  OTLP_PROXY_TARGET_URL?: string | undefined;
  WEB_JAEGER_URL?: string | undefined;
  JAEGER_UI_URL?: string | undefined;
  WEB_HUB_URL?: string | undefined;
  COLLABORATION_HUB_URL?: string | undefined;
  WEB_DIST_DIR?: string | undefined;
}) {
  const httpUrl = (value: string | undefined) => {
    if (value === undefined) return undefined;
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol) ? value : undefined;
    } catch {
      return undefined;
    }
  };
  const base = httpUrl(e.OTEL_EXPORTER_OTLP_ENDPOINT)?.replace(/\/+$/, '');
  return {
    otlpProxyTargetUrl: e.OTLP_PROXY_TARGET_URL ?? httpUrl(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? `${base ?? 'http://localhost:4318'}/v1/traces`,
    otlpProxyRateLimitPerMinute: e.OTLP_PROXY_RATE_LIMIT_PER_MINUTE,
    jaegerUiUrl: (e.WEB_JAEGER_URL ?? e.JAEGER_UI_URL)?.replace(/\/+$/, ''),
    hubPublicUrl: (e.WEB_HUB_URL ?? e.COLLABORATION_HUB_URL)?.replace(/\/+$/, ''),
    distDir: e.WEB_DIST_DIR,
  };
}

export type FrontendConfig = z.infer<typeof FrontendConfigSchema>;
export type WebConfig = FrontendConfig['web'];
