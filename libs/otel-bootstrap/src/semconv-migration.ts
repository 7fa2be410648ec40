import type { Context } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace';

// Brings what upstream instrumentations still emit to the semantic conventions 1.45 (the version the
// repository's telemetry registry builds on) before export. @opentelemetry/instrumentation-grpc
// 0.300 writes the pre-stable RPC keys; instrumentation-socket.io 0.71 writes messaging keys of before
// semconv 1.20 and its own; instrumentation-pg names a pool metric by a replaced name and puts two pool
// settings, which no convention defines, on its connect spans.

/** The pre-stable RPC keys, kept only with `OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup`. */
export const OLD_RPC_KEYS = ['rpc.system', 'rpc.service', 'rpc.grpc.status_code'] as const;

/** The instrumentation scope of @opentelemetry/instrumentation-socket.io (its package name). */
export const SOCKET_IO_SCOPE = '@opentelemetry/instrumentation-socket.io';

/**
 * What instrumentation-socket.io writes that the current messaging conventions replaced or never
 * defined, kept only with `OTEL_SEMCONV_STABILITY_OPT_IN=messaging/dup`: `messaging.system` (now
 * `messaging.system.name`), `messaging.operation` (now `messaging.operation.type`), the namespace as
 * `messaging.destination` (long replaced by `messaging.destination.name`), `messaging.destination_kind`
 * (removed in 1.20), and its own
 * `messaging.socket.io.*`: the event name becomes `messaging.destination.name`; the namespace and the
 * rooms (a room can name a session or a user) have no convention and are dropped.
 */
export const OLD_SOCKET_IO_KEYS = [
  'messaging.system',
  'messaging.operation',
  'messaging.destination',
  'messaging.destination_kind',
  'messaging.socket.io.event_name',
  'messaging.socket.io.namespace',
  'messaging.socket.io.rooms',
] as const;

/**
 * Keys of upstream instrumentations that are no convention: grpc's error name and message (the
 * message repeats the span status, and can quote a request), pg's pool settings.
 */
export const NON_CONVENTION_KEYS = ['grpc.error_name', 'grpc.error_message', 'db.postgresql.idle.timeout.millis', 'db.postgresql.max.client'] as const;

/** gRPC status codes by number, as the gRPC protocol defines them (`rpc.status_code` takes the name). */
const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** Codes that are a failure of the server (the conventions' list for gRPC); for a client, every code but OK is. */
const SERVER_ERROR_CODES = new Set(['UNKNOWN', 'DEADLINE_EXCEEDED', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS']);

/**
 * The instrumentation scopes (the instrumentations' package names) whose spans carry keys to bring
 * up to date; every other span passes the processor untouched, without a look at its attributes.
 */
export const MIGRATED_SCOPES: ReadonlySet<string> = new Set(['@opentelemetry/instrumentation-grpc', '@opentelemetry/instrumentation-pg', SOCKET_IO_SCOPE]);

/** Span kinds of @opentelemetry/api, by number (the SDK span keeps the number). */
const SPAN_KIND_SERVER = 1;
const SPAN_KIND_PRODUCER = 3;

/**
 * A span of instrumentation-socket.io in the current messaging conventions, as the hub's own Socket.IO
 * spans (@mcp/mcp-metrics) have them: `messaging.system.name=socket.io`, the event as
 * `messaging.destination.name`, `messaging.operation.type` and `.name` `send` for an emit (PRODUCER) or
 * `process` for a handler's run (CONSUMER: a pushed message processed), and the span named
 * `<operation> <event>` (upstream names it after the namespace: `receive /`).
 */
function migrateSocketIoSpan(span: Span, attributes: Record<string, unknown>, keepOldKeys: boolean): void {
  const operation = span.kind === SPAN_KIND_PRODUCER ? 'send' : 'process';
  const event = attributes['messaging.socket.io.event_name'];
  span.setAttribute('messaging.system.name', 'socket.io');
  span.setAttribute('messaging.operation.type', operation);
  span.setAttribute('messaging.operation.name', operation);
  if (typeof event === 'string') {
    span.setAttribute('messaging.destination.name', event);
    span.updateName(`${operation} ${event}`);
  }
  if (!keepOldKeys) for (const key of OLD_SOCKET_IO_KEYS) delete attributes[key];
}

/**
 * A span processor that, as each span of the MIGRATED_SCOPES ends and while it can still be changed,
 * writes the stable RPC keys of a gRPC span (`rpc.system.name`, fully-qualified `rpc.method`, string
 * `rpc.status_code`, `error.type` of a failure) and removes the pre-stable ones unless
 * `keepOldRpcKeys`, brings a Socket.IO span to the current messaging keys (the old ones stay with
 * `keepOldMessagingKeys`), and removes the upstream keys that are no convention. Exports nothing
 * itself: put it beside the exporting processors.
 */
export function semconvMigrationSpanProcessor(keepOldRpcKeys: boolean, keepOldMessagingKeys = false): SpanProcessor {
  return {
    // Nothing to do when a span starts or after it ended: this processor only edits and never exports.
    onStart: (_span: Span, _context: Context): void => undefined,
    onEnding(span: Span): void {
      // Most spans (every HTTP SERVER span, for one) come from other scopes: one Set lookup each,
      // where looking for the keys cost a keyed load and a `delete` per key on every span.
      if (!MIGRATED_SCOPES.has(span.instrumentationScope.name)) return;
      // The SDK span's attribute record: writable until the span has ended (this hook runs just before).
      const attributes = span.attributes as Record<string, unknown>;
      if (span.instrumentationScope.name === SOCKET_IO_SCOPE) {
        migrateSocketIoSpan(span, attributes, keepOldMessagingKeys);
        return;
      }
      if (attributes['rpc.system'] === 'grpc') {
        const service = attributes['rpc.service'];
        const method = attributes['rpc.method'];
        const code = attributes['rpc.grpc.status_code'];
        span.setAttribute('rpc.system.name', 'grpc');
        if (typeof service === 'string' && typeof method === 'string' && !method.includes('/')) span.setAttribute('rpc.method', `${service}/${method}`);
        if (typeof code === 'number') {
          const status = GRPC_STATUS_NAMES[code] ?? String(code);
          span.setAttribute('rpc.status_code', status);
          const failed = span.kind === SPAN_KIND_SERVER ? SERVER_ERROR_CODES.has(status) : status !== 'OK';
          if (failed && attributes['error.type'] === undefined) span.setAttribute('error.type', status);
        }
        if (!keepOldRpcKeys) for (const key of OLD_RPC_KEYS) delete attributes[key];
      }
      for (const key of NON_CONVENTION_KEYS) delete attributes[key];
    },
    onEnd: (): void => undefined,
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

/** Metric views that rename instruments upstream still names by a replaced name. */
export const METRIC_RENAME_VIEWS: readonly ViewOptions[] = [
  // instrumentation-pg 0.x: `db.client.connection.max` was replaced by `db.client.connection.limit`.
  { instrumentName: 'db.client.connection.max', name: 'db.client.connection.limit' },
];
