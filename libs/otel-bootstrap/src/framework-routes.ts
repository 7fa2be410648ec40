import * as diagnostics from 'node:diagnostics_channel';
import { context } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';

// The frameworks' own instrumentations (@fastify/otel, instrumentation-koa) add a span per request
// that repeats the SERVER span's route, status and timing; what the SERVER span needs of them is
// the route template. These give it that, and the exception of a 5xx, with no span of their own:
// measured, the framework span was 40 % of the per-request cost of the preload (BENCHMARKS.md).

/** The error status of an exception a framework turned into a response; 500 when it names none. */
function statusOf(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown } | undefined)?.status ?? (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : 500;
}

function recordServerError(error: unknown): void {
  if (error instanceof Error && statusOf(error) >= 500) getRPCMetadata(context.active())?.span.recordException(error);
}

interface FastifyRequestLike {
  routeOptions?: { url?: string };
}
interface FastifyReplyLike {
  statusCode: number;
}
interface FastifyLike {
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void): unknown;
  addHook(name: 'onError', hook: (request: FastifyRequestLike, reply: FastifyReplyLike, error: unknown, done: () => void) => void): unknown;
}

function addFastifyRouteHooks(fastify: FastifyLike): void {
  fastify.addHook('onRequest', function setServerSpanRoute(request, _reply, done) {
    const route = request.routeOptions?.url;
    const rpc = getRPCMetadata(context.active());
    if (rpc !== undefined && route !== undefined) rpc.route = route;
    done();
  });
  // onError runs before the error handler has set the reply's status: the error's own status decides.
  fastify.addHook('onError', function recordServerSpanError(_request, _reply, error, done) {
    recordServerError(error);
    done();
  });
}

/**
 * Fastify: hooks on every instance (announced on the `fastify.initialization` diagnostics channel,
 * before any route is added) put the route template on the SERVER span and record a 5xx's exception.
 */
export class FastifyRouteInstrumentation extends InstrumentationBase {
  declare private subscriber: ((message: unknown) => void) | undefined;

  constructor(config: InstrumentationConfig = {}) {
    super('@mcp/otel-bootstrap/fastify-route', '1.0.0', config);
  }

  protected init() {
    return [];
  }

  override enable(): void {
    super.enable();
    if (this.subscriber) return;
    this.subscriber = (message) => addFastifyRouteHooks((message as { fastify: FastifyLike }).fastify);
    diagnostics.subscribe('fastify.initialization', this.subscriber);
  }

  override disable(): void {
    super.disable();
    if (!this.subscriber) return;
    diagnostics.unsubscribe('fastify.initialization', this.subscriber);
    this.subscriber = undefined;
  }
}

interface KoaContextLike {
  _matchedRoute?: string | RegExp;
}
type KoaHandleRequest = (this: unknown, ctx: KoaContextLike, fnMiddleware: (ctx: KoaContextLike) => Promise<unknown>) => Promise<unknown>;

interface KoaApplicationClass {
  prototype: { handleRequest: KoaHandleRequest };
}
type KoaModule = KoaApplicationClass | { [Symbol.toStringTag]: 'Module'; default: KoaApplicationClass };

/** Koa's `module.exports` is the Application class; an ES module import hands us its namespace, the class as `default`. */
function koaApplication(exported: KoaModule): KoaApplicationClass {
  return 'default' in exported && (exported as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'Module' ? exported.default : (exported as KoaApplicationClass);
}

/**
 * Koa 2/3: once the middleware chain of a request has run (before Koa writes the response), the
 * route @koa/router matched goes on the SERVER span, and a 5xx's exception is recorded on it.
 */
export class KoaRouteInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('@mcp/otel-bootstrap/koa-route', '1.0.0', config);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      'koa',
      ['>=2 <4'],
      (exported: KoaModule) => {
        this._wrap(koaApplication(exported).prototype, 'handleRequest', wrapKoaHandleRequest);
        return exported;
      },
      (exported?: KoaModule) => {
        if (exported) this._unwrap(koaApplication(exported).prototype, 'handleRequest');
      },
    );
  }
}

function wrapKoaHandleRequest(original: KoaHandleRequest): KoaHandleRequest {
  return function handleRequestWithRoute(ctx, fnMiddleware) {
    const rpc = getRPCMetadata(context.active());
    if (rpc === undefined) return original.call(this, ctx, fnMiddleware);
    const withRoute = (c: KoaContextLike): Promise<unknown> =>
      fnMiddleware(c).then(
        (value) => {
          if (c._matchedRoute !== undefined) rpc.route = String(c._matchedRoute);
          return value;
        },
        (error: unknown) => {
          if (c._matchedRoute !== undefined) rpc.route = String(c._matchedRoute);
          recordServerError(error);
          throw error;
        },
      );
    return original.call(this, ctx, withRoute);
  };
}
