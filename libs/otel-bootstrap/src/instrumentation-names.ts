/**
 * The instrumentations this system uses, by the short names that `OTEL_NODE_ENABLED_INSTRUMENTATIONS`
 * and `OTEL_NODE_DISABLED_INSTRUMENTATIONS` take (the package name without `@opentelemetry/instrumentation-`).
 */
export const INSTRUMENTATION_NAMES = [
  'http',
  'undici',
  'express',
  'fastify',
  'koa',
  'graphql',
  'grpc',
  'socket.io',
  'redis',
  'pg',
  'mongodb',
  'pino',
  'runtime-node',
  'dns',
  'net',
  'fs',
  'aws-sdk',
] as const;

export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

/** dns, net and fs multiply spans without telling anything a trace of this system needs; aws-sdk is unused. */
export const DEFAULT_INSTRUMENTATIONS: readonly InstrumentationName[] = INSTRUMENTATION_NAMES.filter(
  (name) => !['dns', 'net', 'fs', 'aws-sdk'].includes(name),
);
