import { context, propagation } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';

/** The field of a Socket.IO payload that carries W3C trace context (as in @mcp/mcp-metrics). */
export const TRACE_CONTEXT_FIELD = '_otel';

/** `{ traceparent, tracestate?, baggage? }`: what the propagators write. */
export type TraceCarrier = Record<string, string>;

/** The active (or given) context as a W3C carrier; `{}` when there is no sampled span to carry. */
export function injectTraceContext(ctx: Context = context.active()): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The payload with the context in `_otel` (the convention of libs/mcp-metrics); non-objects unchanged. */
export function withTraceContext<T extends object>(payload: T, ctx: Context = context.active()): T & { _otel?: TraceCarrier } {
  const carrier = injectTraceContext(ctx);
  return Object.keys(carrier).length > 0 ? { ...payload, [TRACE_CONTEXT_FIELD]: carrier } : { ...payload };
}

/** Splits an incoming payload into the context it carries (or the active one) and the payload without `_otel`. */
export function extractTraceContext<T extends object>(payload: T): { context: Context; payload: Omit<T, '_otel'> } {
  const { [TRACE_CONTEXT_FIELD]: raw, ...rest } = payload as T & { _otel?: unknown };
  const carrier: TraceCarrier = {};
  if (raw !== null && typeof raw === 'object') {
    for (const key of ['traceparent', 'tracestate', 'baggage']) {
      const value = (raw as Record<string, unknown>)[key];
      if (typeof value === 'string' && value.length <= 512) carrier[key] = value;
    }
  }
  return { context: propagation.extract(context.active(), carrier), payload: rest as Omit<T, '_otel'> };
}
