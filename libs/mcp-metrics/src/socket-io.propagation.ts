import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM_NAME,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_SYSTEM_VALUE_SOCKET_IO,
} from './semconv';
import { errorTypeOf, recordSpanFailure } from './span-outcome.util';
import { extractTraceContext, injectTraceContext, toTraceContextCarrier } from './trace-context.propagation';
import type { TraceContextCarrier } from './trace-context.propagation';
import { MCP_METRICS_VERSION } from './version.const';

/**
 * The payload field that carries trace context on Socket.IO events: `{ ...payload, _otel: { traceparent,
 * tracestate?, baggage? } }`. A field of the (object) payload rather than an extra trailing argument, so
 * handlers, acks and the Redis adapter see the same argument list with or without tracing.
 */
export const TRACE_CONTEXT_FIELD = '_otel';

/** Anything with Socket.IO's `emit(event, ...args)`: a client or server socket, `io.to(room)`, a namespace. */
export interface TraceContextEmitter {
  /** Emits `event` with `args`; the return value is ignored. */
  emit(event: string, ...args: unknown[]): unknown;
}

/** The part of a server-side Socket.IO socket that {@link extractHandshakeContext} reads. */
export interface HandshakeSource {
  /** The connection handshake. */
  handshake: {
    /** The client's `auth` option: where clients put `traceparent` (see {@link injectTraceContext}). */
    auth?: unknown;
    /** HTTP headers of the first request: the fallback when `auth` carries no `traceparent`. */
    headers?: unknown;
  };
}

/** Options of {@link handlerWithContext}. */
export interface HandlerWithContextOptions {
  /**
   * Kind of the `process <event>` span. Default CONSUMER, as the messaging conventions ask for
   * processing a received message; SERVER suits an event that is a request the client awaits an ack for.
   */
  kind?: SpanKind;
}

// The socket helpers are not tied to one service, so they take their tracer from the global provider
// at call time, under this lib's own scope.
function socketTracer() {
  return trace.getTracer('@mcp/mcp-metrics', MCP_METRICS_VERSION);
}

function messagingAttributes(event: string, operation: string): Attributes {
  return {
    [ATTR_MESSAGING_SYSTEM_NAME]: MESSAGING_SYSTEM_VALUE_SOCKET_IO,
    [ATTR_MESSAGING_DESTINATION_NAME]: event,
    [ATTR_MESSAGING_OPERATION_TYPE]: operation,
    [ATTR_MESSAGING_OPERATION_NAME]: operation,
  };
}

function isPayloadObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits a received payload into its trace context carrier and the payload without `_otel`, as the
 * handler must see it. Non-object payloads carry no context and come back unchanged.
 */
export function splitTraceContext<P>(payload: P): { carrier: TraceContextCarrier; payload: P } {
  if (!isPayloadObject(payload) || !Object.hasOwn(payload, TRACE_CONTEXT_FIELD)) return { carrier: {}, payload };
  // A copy, not `delete`: the same object may still be in use by the sender when both ends run in
  // one process, and the handler should not see a field vanish from a shared object.
  const { [TRACE_CONTEXT_FIELD]: carrier, ...rest } = payload;
  return { carrier: toTraceContextCarrier(carrier), payload: rest as P };
}

/**
 * Emits `event` with `payload` inside a PRODUCER span `send <event>` and puts that span's context into
 * the payload as `_otel`, so the receiving handler (see {@link handlerWithContext}) continues the trace.
 * `rest` (an ack callback, say) is passed to `emit` after the payload. A payload that is not a plain
 * object (string, array) is sent unchanged and carries no context.
 */
export function emitWithContext<P extends object>(
  emitter: TraceContextEmitter,
  event: string,
  payload: P,
  ...rest: unknown[]
): void {
  socketTracer().startActiveSpan(
    `${MESSAGING_OPERATION_TYPE_VALUE_SEND} ${event}`,
    { kind: SpanKind.PRODUCER, attributes: messagingAttributes(event, MESSAGING_OPERATION_TYPE_VALUE_SEND) },
    (span: Span) => {
      try {
        const carrier = injectTraceContext();
        const message =
          isPayloadObject(payload) && Object.keys(carrier).length > 0 ? { ...payload, [TRACE_CONTEXT_FIELD]: carrier } : payload;
        emitter.emit(event, message, ...rest);
      } catch (error) {
        recordSpanFailure(span, error, errorTypeOf(error));
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Wraps a `socket.on(event, handler)` handler so that each call runs in an active `process <event>`
 * span (CONSUMER by default) whose parent is the context in the payload's `_otel`, and the handler
 * receives the payload without `_otel`. Other arguments (an ack callback) and `this` pass through;
 * the handler's result, sync or promise, is returned, and a throw or rejection marks the span failed
 * and propagates as before.
 *
 * An event without `_otel` starts a new trace rather than joining the ambient context: in a socket
 * handler that is the connection's context, which outlives any one message.
 */
export function handlerWithContext<P, A extends unknown[], R>(
  event: string,
  handler: (payload: P, ...rest: A) => R,
  options: HandlerWithContextOptions = {},
): (payload: P, ...rest: A) => R {
  const spanName = `${MESSAGING_OPERATION_TYPE_VALUE_PROCESS} ${event}`;
  const spanOptions = {
    kind: options.kind ?? SpanKind.CONSUMER,
    attributes: messagingAttributes(event, MESSAGING_OPERATION_TYPE_VALUE_PROCESS),
  };
  return function handleWithContext(this: unknown, received: P, ...rest: A): R {
    const { carrier, payload } = splitTraceContext(received);
    const parent = extractTraceContext(carrier, ROOT_CONTEXT);
    return socketTracer().startActiveSpan(spanName, spanOptions, parent, (span: Span): R => {
      let result: R;
      try {
        result = handler.call(this, payload, ...rest);
      } catch (error) {
        recordSpanFailure(span, error, errorTypeOf(error));
        span.end();
        throw error;
      }
      if (!isPromiseLike(result)) {
        span.end();
        return result;
      }
      return result.then(
        (value: unknown) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          recordSpanFailure(span, error, errorTypeOf(error));
          span.end();
          throw error;
        },
      ) as R;
    });
  };
}

/**
 * The context a client sent with its connection: `socket.handshake.auth` first (clients connect with
 * `io(url, { auth: { ...injectTraceContext() } })`), then the handshake's HTTP headers. On top of
 * `base`, by default the root context, for the same reason as in {@link handlerWithContext}.
 */
export function extractHandshakeContext(socket: HandshakeSource, base: Context = ROOT_CONTEXT): Context {
  const fromAuth = toTraceContextCarrier(socket.handshake.auth);
  const carrier = Object.keys(fromAuth).length > 0 ? fromAuth : toTraceContextCarrier(socket.handshake.headers);
  return extractTraceContext(carrier, base);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
