import type { ErrorBody } from '@mcp/contracts';
import { HttpError, currentTraceId } from '@mcp/service-kit';
import type { Logger } from 'pino';
import type { Context, Middleware, Next } from 'koa';
import { STATUS_CODES } from 'node:http';

/** An error from Koa or a body parser that already carries the client's status (400 bad JSON, 413, 415). */
function clientStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** What a client learns of a 4xx raised below us; parser messages may quote the body, so never those. */
function clientMessageOf(status: number, error: unknown): string {
  if (status === 400 && error instanceof SyntaxError) return 'invalid JSON body';
  if (status === 413) return 'request body too large';
  return STATUS_CODES[status]?.toLowerCase() ?? 'bad request';
}

function reply(ctx: Context, status: number, body: ErrorBody): void {
  ctx.status = status;
  ctx.body = { ...body, ...(body.trace_id === undefined && currentTraceId() !== undefined ? { trace_id: currentTraceId() } : {}) };
}

/**
 * Every error becomes `{ error, details?, trace_id? }`: HttpError with its status, client mistakes
 * caught by Koa or the body parser as their 4xx, anything else a logged 500 without internals; and a
 * request no route answered becomes a JSON 404 (or 405 from allowedMethods).
 */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) reply(ctx, 404, { error: 'not found' });
        else if (ctx.status >= 400) reply(ctx, ctx.status, { error: STATUS_CODES[ctx.status]?.toLowerCase() ?? 'error' });
      }
    } catch (error) {
      if (error instanceof HttpError) {
        reply(ctx, error.status, { error: error.message, ...(error.details ? { details: error.details } : {}) });
        return;
      }
      const status = clientStatusOf(error);
      if (status !== undefined) {
        reply(ctx, status, { error: clientMessageOf(status, error) });
        return;
      }
      logger.error({ err: error, method: ctx.method }, 'request failed');
      reply(ctx, 500, { error: 'internal error' });
    }
  };
}
