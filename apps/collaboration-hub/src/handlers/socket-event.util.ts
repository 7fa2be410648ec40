import { describeIssues } from '@mcp/contracts';
import type { Ack } from '@mcp/contracts';
import { TRACE_CONTEXT_FIELD, handlerWithContext } from '@mcp/mcp-metrics';
import type { TraceContextCarrier } from '@mcp/mcp-metrics';
import type { Logger } from 'pino';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { z } from 'zod';

const MAX_STATUS_MESSAGE_LENGTH = 256;

/** Socket.IO's ack callback: the last argument of an event, when it is a function. */
export type AckCallback = (response: Ack<object>) => void;

/**
 * Splits what Socket.IO passed to a listener into the payload and the ack callback. A client may send
 * no payload (`emit('session:join', ack)`), extra arguments, or no ack at all.
 */
export function payloadAndAck(args: readonly unknown[]): { payload: unknown; ack: AckCallback | undefined } {
  const last = args.at(-1);
  const ack = typeof last === 'function' ? (last as AckCallback) : undefined;
  const payload = ack !== undefined && args.length === 1 ? undefined : args[0];
  return { payload, ack };
}

/**
 * Validates a payload; on failure, the ack error: one `field: message` per problem, `payload: ...` for
 * the payload as a whole (not an object, unknown key), joined by `; `.
 */
export function validatePayload<S extends z.ZodType>(schema: S, payload: unknown): { ok: true; data: z.infer<S> } | { ok: false; error: string } {
  const result = schema.safeParse(payload);
  if (result.success) return { ok: true, data: result.data };
  const lines = describeIssues(result.error).map((line, i) => ((result.error.issues[i]?.path.length ?? 0) > 0 ? line : `payload: ${line}`));
  return { ok: false, error: lines.join('; ') };
}

/** Answers an ack at most once and never lets a client's broken callback throw into Socket.IO. */
function answer(ack: AckCallback | undefined, response: Ack<object>, logger: Logger, event: string): void {
  if (ack === undefined) return;
  try {
    ack(response);
  } catch (error) {
    logger.debug({ err: error, event }, 'ack callback failed');
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Makes `handle` a Socket.IO listener for `event`:
 * - it runs in a `process <event>` span (mcp-metrics' `handlerWithContext`) whose parent is the
 *   payload's `_otel`, else the connection's handshake context (`fallback`), else a new trace;
 * - its result goes back in the ack; a rejected payload or a failure marks the span and is answered
 *   `{ ok: false, error }`; nothing ever throws or rejects into Socket.IO, with or without an ack.
 */
export function socketListener(
  event: string,
  handle: (payload: unknown) => Ack<object> | Promise<Ack<object>>,
  options: { logger: Logger; fallback: TraceContextCarrier },
): (...args: unknown[]) => void {
  const traced = handlerWithContext(event, async (payload: unknown, ack: AckCallback | undefined): Promise<void> => {
    let response: Ack<object>;
    try {
      response = await handle(payload);
    } catch (error) {
      options.logger.error({ err: error, event }, 'socket event failed');
      response = { ok: false, error: 'internal error' };
    }
    if (!response.ok) {
      const span = trace.getActiveSpan();
      span?.setAttribute('error.type', response.error === 'internal error' ? 'internal' : 'rejected');
      // Field names and zod's messages only (never values); capped, since unknown keys are the client's.
      span?.setStatus({ code: SpanStatusCode.ERROR, message: response.error.slice(0, MAX_STATUS_MESSAGE_LENGTH) });
    }
    answer(ack, response, options.logger, event);
  });
  const hasFallback = options.fallback.traceparent !== undefined;
  return (...args: unknown[]): void => {
    const { payload, ack } = payloadAndAck(args);
    const carried =
      hasFallback && isPlainObject(payload) && !Object.hasOwn(payload, TRACE_CONTEXT_FIELD) ? { ...payload, [TRACE_CONTEXT_FIELD]: options.fallback } : payload;
    try {
      traced(carried, ack).catch((error: unknown) => options.logger.error({ err: error, event }, 'socket event failed'));
    } catch (error) {
      options.logger.error({ err: error, event }, 'socket event failed');
    }
  };
}
