import { LIMITS, grpcStatusName, type ModelRouterCaller } from '@mcp/contracts';
import { ModelClientTracer, WorkflowTracer } from '@mcp/mcp-metrics';
import { currentTraceId, HttpError, httpServerOptions, httpServerTimeouts, jsonNestingError } from '@mcp/service-kit';
import type { Logger } from 'pino';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { Config } from './config';
import { registerHealthRoutes } from './routes/health.routes';
import { registerWorkflowRoutes } from './routes/workflows.routes';
import { ProgressNotifier } from './services/progress-notifier';
import type { RunStore } from './services/run-store';
import { createStepExecutors } from './services/steps';
import { WorkflowService } from './services/workflow.service';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  runStore: RunStore;
  modelRouter: ModelRouterCaller;
  /** True while the process shuts down: /ready answers 503. */
  isDraining?: () => boolean;
}

const PROBE_PATHS = new Set(['/health', '/ready']);

/** Fastify's own 4xx errors (body parsing), as the ErrorBody every MCP service answers. */
function clientErrorBody(error: FastifyError): { status: number; error: string; details?: string[] } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, error: 'invalid request', details: ['body: is not valid JSON'] };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, error: 'invalid request', details: ['body: must not be empty with Content-Type: application/json'] };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, error: 'unsupported media type: send the body as JSON with Content-Type: application/json' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, error: `request body too large: at most ${LIMITS.jsonBodyBytes} bytes` };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, error: 'invalid request', details: ['Content-Length: does not match the body'] };
    default:
      // JSON.parse errors carry statusCode 400 on some paths; their message quotes the body, so it is not repeated.
      if (error instanceof SyntaxError) return { status: 400, error: 'invalid request', details: ['body: is not valid JSON'] };
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return { status: error.statusCode, error: error.message };
      return undefined;
  }
}

/**
 * The orchestrator's HTTP app, built from its dependencies (no listen, no env, no process.*).
 * The SERVER spans (named after the Fastify route) come from the preload; this file registers
 * nothing of OpenTelemetry besides the business tracer.
 */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, logger, runStore, modelRouter } = deps;
  const tracer = new WorkflowTracer();
  const modelClient = new ModelClientTracer({
    serverAddress: config.MODEL_ROUTER_ADDRESS,
    captureMessageContent: config.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
    errorType: grpcStatusName,
  });
  const progress = new ProgressNotifier({ hubUrl: config.COLLABORATION_HUB_URL, secret: config.INTERNAL_API_SECRET, timeoutMs: config.HUB_EVENT_TIMEOUT_MS, logger });
  const service = new WorkflowService({
    store: runStore,
    steps: createStepExecutors({ modelRouter, modelClient, modelRouterDeadlineMs: config.MODEL_ROUTER_DEADLINE_MS, allowlist: config.EXTERNAL_API_ALLOWLIST }),
    tracer,
    progress,
    logger,
    allowlist: config.EXTERNAL_API_ALLOWLIST,
    replayWaitMs: config.IDEMPOTENT_REPLAY_WAIT_MS,
    progressWaitMs: config.HUB_EVENT_TIMEOUT_MS,
  });

  // The server's bounds on slow clients (service-kit); Fastify sets keep-alive and request timeouts itself, after creating the server.
  const timeouts = httpServerTimeouts(config);
  const app = Fastify({
    http: httpServerOptions(timeouts),
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    loggerInstance: logger,
    // One line per request from the onResponse hook below instead of two from Fastify.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: LIMITS.jsonBodyBytes,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  // Only JSON bodies: text/plain would reach the handler as a string and fail validation obscurely.
  app.removeContentTypeParser('text/plain');
  // Fastify's JSON parser (with its __proto__ and constructor checks), after a nesting check on the text:
  // a value nested thousands deep parses, then overflows the stack of the run store's structuredClone.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const nesting = jsonNestingError(body as string, LIMITS.jsonNestingDepth);
    if (nesting) return done(new HttpError(400, 'invalid request', [`body: ${nesting}`]), undefined);
    return parseJson(request, body as string, done);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const trace_id = currentTraceId();
    if (error instanceof HttpError) {
      if (error.status >= 500) request.log.warn({ status: error.status, error: error.message }, 'request failed');
      return reply.code(error.status).send({ error: error.message, ...(error.details ? { details: error.details } : {}), ...(trace_id ? { trace_id } : {}) });
    }
    const client = clientErrorBody(error);
    if (client) return reply.code(client.status).send({ error: client.error, ...(client.details ? { details: client.details } : {}), ...(trace_id ? { trace_id } : {}) });
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'internal error', ...(trace_id ? { trace_id } : {}) });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const trace_id = currentTraceId();
    return reply.code(404).send({ error: `not found: ${request.method} ${path.slice(0, 256)}`, ...(trace_id ? { trace_id } : {}) });
  });

  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const line = { method: request.method, route: request.routeOptions.url ?? path.slice(0, 256), status: reply.statusCode, duration_ms: Math.round(reply.elapsedTime) };
    if (PROBE_PATHS.has(path)) request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
  });

  // While draining, answers close their connection, so the keep-alive sockets of in-flight requests
  // do not hold fastify.close() open until the drain deadline.
  const isDraining = deps.isDraining ?? (() => false);
  app.addHook('onSend', async (_request, reply) => {
    if (isDraining()) void reply.header('connection', 'close');
    // Fastify closes the connection after a body it refused, resetting it while a client may still be
    // sending, which then never sees the 413; service-kit's boundUnreadBodies bounds the rest instead.
    else if (reply.getHeader('connection') === 'close') reply.removeHeader('connection');
  });

  // fastify.close() (shutdown) lets the last progress events of drained runs go out, bounded.
  app.addHook('onClose', async () => {
    await progress.drain(config.HUB_EVENT_TIMEOUT_MS);
  });

  registerHealthRoutes(app, {
    checks: { run_store: () => runStore.ping(), model_router: () => modelRouter.checkHealth(config.READY_TIMEOUT_MS) },
    timeoutMs: config.READY_TIMEOUT_MS,
    isDraining,
    logger,
  });
  registerWorkflowRoutes(app, service);

  await app.ready();
  return app;
}
