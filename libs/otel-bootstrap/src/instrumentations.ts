import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { IncomingMessage, ServerResponse, ClientRequest } from 'node:http';
import { Module } from 'node:module';
import type { ResolvedConfig } from './config';
import type { InstrumentationName } from './instrumentation-names';
import { contentLength } from './http-attributes';
import { load } from './packages';

/** Longest argument the Redis statement serializer keeps, as in the seed. */
export const REDIS_ARG_MAX_LENGTH = 50;

interface InstrumentationFactory {
  /** Packages the instrumented library may be installed as; none means always available (built-ins). */
  modules?: readonly string[];
  create(config: ResolvedConfig): Instrumentation | Instrumentation[];
}

/**
 * The seed recorded user agent and request/response sizes under `custom.*`; the stable HTTP
 * semantic conventions name them `user_agent.original`, `http.request.body.size` and
 * `http.response.body.size` (the instrumentation already sets the user agent).
 */
export function applyHttpSizeAttributes(span: Span, request: ClientRequest | IncomingMessage, response: IncomingMessage | ServerResponse): void {
  const req = 'headers' in request ? request.headers['content-length'] : request.getHeader('content-length');
  const res = 'getHeader' in response ? response.getHeader('content-length') : response.headers['content-length'];
  const requestSize = contentLength(req);
  const responseSize = contentLength(res);
  if (requestSize !== undefined) span.setAttribute('http.request.body.size', requestSize);
  if (responseSize !== undefined) span.setAttribute('http.response.body.size', responseSize);
}

/**
 * The seed's truncating serializer, tightened: the command and its key (cut to 50 characters) are
 * kept, other arguments only counted, so cached values (model answers) never reach a span.
 */
export function redisStatement(command: string, args: ReadonlyArray<string | Buffer | number | unknown>): string {
  const [key, ...rest] = args;
  let text = command;
  if (key !== undefined) {
    const keyText = Buffer.isBuffer(key) ? `<${key.length} bytes>` : String(key);
    text += ` ${keyText.length > REDIS_ARG_MAX_LENGTH ? `${keyText.slice(0, REDIS_ARG_MAX_LENGTH)}...` : keyText}`;
  }
  if (rest.length > 0) text += ` [${rest.length} other argument${rest.length === 1 ? '' : 's'}]`;
  return text;
}

// Each factory requires its package only when it is enabled: loading all of them costs start-up
// time and memory for libraries a service never uses.
const FACTORIES: Record<InstrumentationName, InstrumentationFactory> = {
  http: {
    create(config) {
      // Incoming requests: our own SERVER spans, a fraction of the upstream cost per request
      // (http-server.ts); outgoing requests: the upstream instrumentation.
      const { HttpServerInstrumentation } = load.httpServer();
      const { HttpInstrumentation } = load.http();
      return [
        new HttpServerInstrumentation({ ignoredPaths: config.ignoredIncomingPaths, incomingTraceContext: config.incomingTraceContext }),
        new HttpInstrumentation({ disableIncomingRequestInstrumentation: true, applyCustomAttributesOnSpan: applyHttpSizeAttributes }),
      ];
    },
  },
  undici: {
    create() {
      const { UndiciInstrumentation } = load.undici();
      return new UndiciInstrumentation();
    },
  },
  express: {
    modules: ['express'],
    create() {
      const { ExpressInstrumentation, ExpressLayerType } = load.express();
      // No layer becomes a span: middleware and router layers only repeat the request span (as the
      // seed decided), and so does the request handler's span (same route, same timing) at a third
      // of the per-request cost (BENCHMARKS.md). The instrumentation still names the SERVER span
      // after the route (`GET /users/:id`, `http.route`).
      return new ExpressInstrumentation({
        ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER, ExpressLayerType.REQUEST_HANDLER],
      });
    },
  },
  fastify: {
    modules: ['fastify'],
    create() {
      // The route on the SERVER span, no span of its own (framework-routes.ts): @fastify/otel's
      // request span repeated the SERVER span and cost 19 µs per request (BENCHMARKS.md).
      const { FastifyRouteInstrumentation } = load.frameworkRoutes();
      return new FastifyRouteInstrumentation();
    },
  },
  koa: {
    modules: ['koa'],
    create() {
      // As for Fastify: the route from @koa/router on the SERVER span, no router or middleware span.
      const { KoaRouteInstrumentation } = load.frameworkRoutes();
      return new KoaRouteInstrumentation();
    },
  },
  graphql: {
    modules: ['graphql'],
    create() {
      const { GraphQLInstrumentation } = load.graphql();
      // Field resolvers that only read a property would be one span per field per item.
      return new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, allowValues: false });
    },
  },
  grpc: {
    modules: ['@grpc/grpc-js'],
    create() {
      const { GrpcInstrumentation } = load.grpc();
      return new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] });
    },
  },
  'socket.io': {
    modules: ['socket.io'],
    create() {
      const { SocketIoInstrumentation } = load.socketIo();
      return new SocketIoInstrumentation();
    },
  },
  redis: {
    modules: ['redis', '@redis/client'],
    create() {
      const { RedisInstrumentation } = load.redis();
      return new RedisInstrumentation({ dbStatementSerializer: redisStatement, requireParentSpan: true });
    },
  },
  pg: {
    modules: ['pg'],
    create() {
      const { PgInstrumentation } = load.pg();
      // Parameterised statements only: values (prompts, user ids) never become attributes.
      return new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true });
    },
  },
  mongodb: {
    modules: ['mongodb'],
    create() {
      const { MongoDBInstrumentation } = load.mongodb();
      return new MongoDBInstrumentation({ enhancedDatabaseReporting: false });
    },
  },
  pino: {
    modules: ['pino'],
    create() {
      const { PinoInstrumentation } = load.pino();
      // Adds trace_id/span_id/trace_flags to every line and sends each record as an OTLP log.
      return new PinoInstrumentation();
    },
  },
  'runtime-node': {
    create() {
      const { RuntimeNodeInstrumentation } = load.runtimeNode();
      return new RuntimeNodeInstrumentation();
    },
  },
  dns: {
    create() {
      const { DnsInstrumentation } = load.dns();
      return new DnsInstrumentation();
    },
  },
  net: {
    create() {
      const { NetInstrumentation } = load.net();
      return new NetInstrumentation();
    },
  },
  fs: {
    create() {
      const { FsInstrumentation } = load.fs();
      return new FsInstrumentation({ requireParentSpan: true });
    },
  },
  'aws-sdk': {
    create() {
      const { AwsInstrumentation } = load.awsSdk();
      return new AwsInstrumentation();
    },
  },
};

/** `express` for `express/lib/x`, `@grpc/grpc-js` for `@grpc/grpc-js/build/src/x`. */
export function packageNameOf(id: string): string {
  const slash = id.indexOf('/');
  if (slash === -1) return id;
  if (id.charCodeAt(0) !== 64 /* @ */) return id.slice(0, slash);
  const second = id.indexOf('/', slash + 1);
  return second === -1 ? id : id.slice(0, second);
}

export interface InstrumentationSet {
  /** Created at start: built-in modules (http, fetch), runtime metrics, and the explicitly enabled extras. */
  eager: Instrumentation[];
  /** Enabled but waiting for the app to require their library; created then, or never. */
  deferred: InstrumentationName[];
  /** Failed to load or construct; each is reported and the others still work. */
  failed: Array<{ name: InstrumentationName; error: unknown }>;
  /** Stops creating deferred instrumentations (when telemetry failed to start after all). */
  cancelDeferred(): void;
}

/**
 * Creates the enabled instrumentations. Those of a library (express, pg, ...) are created when the
 * app first requires that library, just before it loads, so their require hooks still patch it:
 * a service pays only for the libraries it uses, and a missing library costs nothing.
 */
export function createInstrumentations(
  config: ResolvedConfig,
  onLateCreate: (instrumentation: Instrumentation) => void,
  onLateFailure: (name: InstrumentationName, error: unknown) => void,
): InstrumentationSet {
  const { restrictRequireHook, hookModulesOf } = load.requireHook();
  restrictRequireHook();
  const create = (name: InstrumentationName): Instrumentation[] => {
    const created = [FACTORIES[name].create(config)].flat();
    created.forEach(hookModulesOf);
    return created;
  };
  const result: InstrumentationSet = { eager: [], deferred: [], failed: [], cancelDeferred: () => undefined };
  const triggers = new Map<string, { name: InstrumentationName; modules: readonly string[] }>();
  for (const name of config.instrumentations) {
    const factory = FACTORIES[name];
    if (factory.modules) {
      result.deferred.push(name);
      for (const module of factory.modules) triggers.set(module, { name, modules: factory.modules });
      continue;
    }
    try {
      result.eager.push(...create(name));
    } catch (error) {
      result.failed.push({ name, error });
    }
  }
  if (triggers.size > 0) {
    const loading = libraryLoadingTrigger(triggers, (name) => {
      try {
        create(name).forEach(onLateCreate);
      } catch (error) {
        onLateFailure(name, error);
      }
    });
    createOnFirstRequire(triggers, loading);
    onLibraryLoading = loading;
    result.cancelDeferred = () => triggers.clear();
  }
  return result;
}

/**
 * Creates the instrumentation of the library named `packageName` if it is still waiting for it:
 * the one trigger that both the CommonJS `require()` path and the ES module loader hook
 * (esm-hooks.ts) call, just before the library loads. Returns whether it created one.
 */
type LibraryLoading = (packageName: string) => boolean;

let onLibraryLoading: LibraryLoading = () => false;

/** Called by the ES module loader hook for every package an ES module imports. */
export function libraryLoading(packageName: string): boolean {
  return onLibraryLoading(packageName);
}

function libraryLoadingTrigger(
  triggers: Map<string, { name: InstrumentationName; modules: readonly string[] }>,
  create: (name: InstrumentationName) => void,
): LibraryLoading {
  return (packageName) => {
    const trigger = triggers.get(packageName);
    if (!trigger) return false;
    for (const module of trigger.modules) triggers.delete(module);
    create(trigger.name);
    return true;
  };
}

function createOnFirstRequire(triggers: ReadonlyMap<string, unknown>, loading: LibraryLoading): void {
  const next = Module.prototype.require;
  Module.prototype.require = function requireCreatingInstrumentation(this: unknown, id: string) {
    // Relative and absolute paths are never a trigger; the check costs one char read per require,
    // and nothing once every trigger has fired.
    if (triggers.size > 0 && typeof id === 'string' && id.charCodeAt(0) !== 46 /* . */ && id.charCodeAt(0) !== 47 /* / */ && loading(packageNameOf(id))) {
      // The new instrumentation may just have installed the require hook (when it is the first
      // one), on top of this wrapper: go through the current chain so the hook sees this load.
      // eslint-disable-next-line prefer-rest-params
      return Module.prototype.require.apply(this, arguments as unknown as [string]);
    }
    // eslint-disable-next-line prefer-rest-params
    return next.apply(this, arguments as unknown as [string]);
  };
}
