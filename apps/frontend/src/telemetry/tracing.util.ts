import { context, createContextKey, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

const requestSpans = new WeakMap<IncomingMessage, Span>();

/**
 * Wraps the Express app as the server's request listener to remember the HTTP SERVER span of each
 * request. The express instrumentation makes every layer's span the active one inside that layer, so
 * from a route handler the request span is otherwise out of reach; the http instrumentation runs the
 * server's listeners with the SERVER span active, so here it is the active span.
 */
export function rememberRequestSpan(listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const span = trace.getActiveSpan();
    if (span) requestSpans.set(req, span);
    listener(req, res);
  };
}

/** The HTTP SERVER span of `req`, when the request is traced. */
export function requestSpanOf(req: IncomingMessage): Span | undefined {
  return requestSpans.get(req);
}

// The same key @opentelemetry/core's suppressTracing() sets (context keys are Symbol.for(description));
// apps may not import core, and the API has no helper for it.
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/**
 * Runs `fn` with tracing suppressed: readiness probes call every dependency every few seconds, and
 * /ready itself is not traced, so each call would otherwise be a root trace of its own.
 */
export function untraced<T>(fn: () => T): T {
  return context.with(context.active().setValue(SUPPRESS_TRACING_KEY, true), fn);
}
