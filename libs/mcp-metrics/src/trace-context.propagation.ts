import { context, propagation } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';

/**
 * Trace context as the registered propagators write it: W3C Trace Context and Baggage by default
 * (`@mcp/otel-bootstrap` registers those), so normally `traceparent` and maybe `tracestate`/`baggage`.
 */
export interface TraceContextCarrier {
  /** W3C `traceparent` of the sending span. Absent when no span is active or no propagator is registered. */
  traceparent?: string;
  /** W3C `tracestate` (vendor entries), when the sending span has any. */
  tracestate?: string;
  /** W3C `baggage`, when the sending context carries any. */
  baggage?: string;
  /** Fields of other propagators, should `OTEL_PROPAGATORS` add any (`b3`, …). */
  [field: string]: string | undefined;
}

// W3C Baggage allows up to 8192 bytes in total; traceparent and tracestate are far shorter.
const MAX_FIELD_VALUE_LENGTH = 8192;

/**
 * Copies the fields the registered propagators read (`propagation.fields()`: `traceparent`,
 * `tracestate`, `baggage` for W3C) from an untrusted object, such as a Socket.IO payload or handshake,
 * into a clean carrier: string values only (the first of a string array, as HTTP headers may have),
 * length-capped. Anything else yields an empty carrier, from which the propagators extract nothing.
 */
export function toTraceContextCarrier(source: unknown): TraceContextCarrier {
  const carrier: TraceContextCarrier = {};
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return carrier;
  const fields = source as Record<string, unknown>;
  for (const field of propagation.fields()) {
    if (!Object.hasOwn(fields, field)) continue;
    const raw = fields[field];
    const value: unknown = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
    if (typeof value === 'string' && value.length <= MAX_FIELD_VALUE_LENGTH) carrier[field] = value;
  }
  return carrier;
}

/**
 * Writes the trace context of `ctx` (default: the active context) into `carrier` with the registered
 * propagators and returns it: `{ traceparent, tracestate?, baggage? }` for W3C.
 */
export function injectTraceContext(carrier: TraceContextCarrier = {}, ctx: Context = context.active()): TraceContextCarrier {
  propagation.inject(ctx, carrier);
  return carrier;
}

/**
 * The context a carrier describes, on top of `base` (default: the active context). A missing or
 * malformed carrier gives `base` back unchanged.
 */
export function extractTraceContext(carrier: unknown, base: Context = context.active()): Context {
  return propagation.extract(base, toTraceContextCarrier(carrier));
}

/** Runs `fn` with the context `carrier` describes as the active context, so spans it starts continue that trace. */
export function withExtractedContext<T>(carrier: unknown, fn: () => T): T {
  return context.with(extractTraceContext(carrier), fn);
}
