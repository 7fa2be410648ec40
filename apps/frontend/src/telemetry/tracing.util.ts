import { trace } from '@opentelemetry/api';
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
