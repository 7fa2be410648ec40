import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { IncomingMessage, ServerResponse, ClientRequest } from 'node:http';
import type { InstrumentationName } from './instrumentation-names';

/** Probe and metrics paths: a span per scrape or probe would drown the traces that matter. */
export const IGNORED_INCOMING_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/live', '/metrics']);

/** Longest argument the Redis statement serializer keeps, as in the seed. */
export const REDIS_ARG_MAX_LENGTH = 50;

interface InstrumentationFactory {
  /** Packages the instrumented library may be installed as; none means always available (built-ins). */
  modules?: readonly string[];
  create(): Instrumentation;
}

export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function contentLength(value: string | number | string[] | undefined): number | undefined {
  if (value === undefined || Array.isArray(value)) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
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
    create() {
      const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
      return new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => IGNORED_INCOMING_PATHS.has(pathOf(request.url)),
        applyCustomAttributesOnSpan: applyHttpSizeAttributes,
      });
    },
  },
  undici: {
    create() {
      const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
      return new UndiciInstrumentation();
    },
  },
  express: {
    modules: ['express'],
    create() {
      const { ExpressInstrumentation, ExpressLayerType } = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
      // Middleware and router layers as spans only repeat the request span (as the seed decided).
      return new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] });
    },
  },
  fastify: {
    modules: ['fastify'],
    create() {
      const { FastifyOtelInstrumentation } = require('@fastify/otel') as typeof import('@fastify/otel');
      return new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: ({ url }) => IGNORED_INCOMING_PATHS.has(pathOf(url)),
        // Hook spans (onRequest, preHandler, ...) cost more than they tell; the handler span stays.
        instrumentHooks: false,
      });
    },
  },
  koa: {
    modules: ['koa'],
    create() {
      const { KoaInstrumentation, KoaLayerType } = require('@opentelemetry/instrumentation-koa') as typeof import('@opentelemetry/instrumentation-koa');
      return new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] });
    },
  },
  graphql: {
    modules: ['graphql'],
    create() {
      const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
      // Field resolvers that only read a property would be one span per field per item.
      return new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, allowValues: false });
    },
  },
  grpc: {
    modules: ['@grpc/grpc-js'],
    create() {
      const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
      return new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] });
    },
  },
  'socket.io': {
    modules: ['socket.io'],
    create() {
      const { SocketIoInstrumentation } = require('@opentelemetry/instrumentation-socket.io') as typeof import('@opentelemetry/instrumentation-socket.io');
      return new SocketIoInstrumentation();
    },
  },
  redis: {
    modules: ['redis', '@redis/client'],
    create() {
      const { RedisInstrumentation } = require('@opentelemetry/instrumentation-redis') as typeof import('@opentelemetry/instrumentation-redis');
      return new RedisInstrumentation({ dbStatementSerializer: redisStatement, requireParentSpan: true });
    },
  },
  pg: {
    modules: ['pg'],
    create() {
      const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
      // Parameterised statements only: values (prompts, user ids) never become attributes.
      return new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true });
    },
  },
  mongodb: {
    modules: ['mongodb'],
    create() {
      const { MongoDBInstrumentation } = require('@opentelemetry/instrumentation-mongodb') as typeof import('@opentelemetry/instrumentation-mongodb');
      return new MongoDBInstrumentation({ enhancedDatabaseReporting: false });
    },
  },
  pino: {
    modules: ['pino'],
    create() {
      const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
      // Adds trace_id/span_id/trace_flags to every line and sends each record as an OTLP log.
      return new PinoInstrumentation();
    },
  },
  'runtime-node': {
    create() {
      const { RuntimeNodeInstrumentation } = require('@opentelemetry/instrumentation-runtime-node') as typeof import('@opentelemetry/instrumentation-runtime-node');
      return new RuntimeNodeInstrumentation();
    },
  },
  dns: {
    create() {
      const { DnsInstrumentation } = require('@opentelemetry/instrumentation-dns') as typeof import('@opentelemetry/instrumentation-dns');
      return new DnsInstrumentation();
    },
  },
  net: {
    create() {
      const { NetInstrumentation } = require('@opentelemetry/instrumentation-net') as typeof import('@opentelemetry/instrumentation-net');
      return new NetInstrumentation();
    },
  },
  fs: {
    create() {
      const { FsInstrumentation } = require('@opentelemetry/instrumentation-fs') as typeof import('@opentelemetry/instrumentation-fs');
      return new FsInstrumentation({ requireParentSpan: true });
    },
  },
  'aws-sdk': {
    create() {
      const { AwsInstrumentation } = require('@opentelemetry/instrumentation-aws-sdk') as typeof import('@opentelemetry/instrumentation-aws-sdk');
      return new AwsInstrumentation();
    },
  },
};

/** Whether any of the packages is installed where the app (its working directory) would find it. */
function installed(modules: readonly string[], searchFrom: readonly string[]): boolean {
  return modules.some((name) => {
    try {
      require.resolve(`${name}/package.json`, { paths: [...searchFrom] });
      return true;
    } catch (error) {
      // A package whose "exports" hides package.json is still installed.
      return (error as NodeJS.ErrnoException).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
    }
  });
}

export interface CreatedInstrumentations {
  instrumentations: Instrumentation[];
  /** Enabled by configuration but not created, because the library is not installed. */
  skipped: InstrumentationName[];
  /** Failed to load or construct; each is reported and the others still work. */
  failed: Array<{ name: InstrumentationName; error: unknown }>;
}

/**
 * Creates the enabled instrumentations, skipping those whose library the app does not have
 * installed (a pruned per-app image then pays only for what it uses).
 */
export function createInstrumentations(
  names: readonly InstrumentationName[],
  searchFrom: readonly string[] = [process.cwd()],
): CreatedInstrumentations {
  const result: CreatedInstrumentations = { instrumentations: [], skipped: [], failed: [] };
  for (const name of names) {
    const factory = FACTORIES[name];
    if (factory.modules && !installed(factory.modules, searchFrom)) {
      result.skipped.push(name);
      continue;
    }
    try {
      result.instrumentations.push(factory.create());
    } catch (error) {
      result.failed.push({ name, error });
    }
  }
  return result;
}
