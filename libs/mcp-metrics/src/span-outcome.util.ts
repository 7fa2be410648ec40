import { SpanStatusCode } from '@opentelemetry/api';
import type { Exception, Span } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ERROR_TYPE_VALUE_OTHER } from './semconv';

// Error codes worth using as error.type look like ECONNREFUSED, ERR_INVALID_ARG or MODEL_TIMEOUT;
// anything else (sentences, numbers) is not a stable class name.
const ERROR_CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * The `error.type` of a thrown value: its string `code` when it looks like one (Node system errors,
 * our own coded errors), else its class name, else `_OTHER`. Never the message, which is unbounded.
 */
export function errorTypeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code: unknown = (error as { code?: unknown }).code;
    if (typeof code === 'string' && ERROR_CODE_PATTERN.test(code)) return code;
    const className: unknown = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof className === 'string' && className !== '' && className !== 'Object') return className;
  }
  return ERROR_TYPE_VALUE_OTHER;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return String(error);
}

function toException(error: unknown): Exception {
  if (error instanceof Error || typeof error === 'string') return error;
  return { name: errorTypeOf(error), message: errorMessage(error) };
}

/**
 * Marks a span failed the way the trace semantic conventions ask: an `exception` event, status ERROR
 * with the message, and `error.type`. `errorType` is passed in so span and metrics agree.
 */
export function recordSpanFailure(span: Span, error: unknown, errorType: string): void {
  span.recordException(toException(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
}

/** A monotonic start mark; wall-clock time can jump, which would give negative or huge durations. */
export function startTimer(): () => number {
  const start = performance.now();
  return () => (performance.now() - start) / 1000;
}
