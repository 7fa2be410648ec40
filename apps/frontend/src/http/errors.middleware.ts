import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { ErrorBody } from '@mcp/contracts';
import { HttpError, currentTraceId, httpStatusOfGrpc } from '@mcp/service-kit';
import type { Logger } from 'pino';
import { isGrpcError } from '../clients/model-router.gateway';

/** The ErrorBody every failure of this service answers with; the trace id finds the request again. */
export function errorBody(error: string, details?: string[]): ErrorBody {
  const traceId = currentTraceId();
  return { error, ...(details && details.length > 0 ? { details } : {}), ...(traceId !== undefined ? { trace_id: traceId } : {}) };
}

/** 415 unless the request says it sends JSON: jsonBodies() refuses other bodies, but a request without any would read as "no body". */
export const requireJson: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  if (req.is('application/json')) return next();
  res.status(415).json(errorBody('Content-Type must be application/json'));
};

export const notFound: RequestHandler = (req: Request, res: Response) => {
  res.status(404).json(errorBody(`no route for ${req.method} ${req.path}`));
};

/** Errors of body-parser (express.json) carry a `type`; each becomes the 4xx it stands for. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
}

const BODY_PARSER_ERRORS: Record<string, [number, string]> = {
  'entity.parse.failed': [400, 'malformed JSON body'],
  'entity.too.large': [413, 'request body too large'],
  'entity.verify.failed': [400, 'request body rejected'],
  'encoding.unsupported': [415, 'unsupported Content-Encoding'],
  'charset.unsupported': [415, 'unsupported charset'],
  'request.aborted': [400, 'request aborted'],
  'request.size.invalid': [400, 'request size did not match Content-Length'],
  'stream.encoding.set': [500, 'internal error'],
};

/** Maps any error to a status and an ErrorBody without stack traces or internals; `internal` marks bugs worth a stack in the log. */
export function describeError(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  // HttpErrors are answers we chose (a dependency down is a 503 we mean to send), not bugs.
  if (error instanceof HttpError) return { status: error.status, body: errorBody(error.message, error.details), internal: false };
  if (isGrpcError(error)) {
    const status = httpStatusOfGrpc(error.code);
    return { status, body: errorBody(status < 500 ? error.details : 'model-router failed'), internal: false };
  }
  const parserError = error as BodyParserError;
  if (typeof parserError?.type === 'string' && BODY_PARSER_ERRORS[parserError.type]) {
    const [status, message] = BODY_PARSER_ERRORS[parserError.type] as [number, string];
    return { status, body: errorBody(message), internal: status >= 500 };
  }
  // Another 4xx raised by a middleware (e.g. a malformed URI) keeps its status, with a generic message.
  if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return { status: parserError.status, body: errorBody(parserError.expose === true ? parserError.message : 'bad request'), internal: false };
  }
  return { status: 500, body: errorBody('internal error'), internal: true };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const { status, body, internal } = describeError(error);
    if (internal) logger.error({ err: error, method: req.method, path: req.path, status }, 'request failed');
    else if (status >= 500) logger.warn({ method: req.method, path: req.path, status, error: body.error }, 'dependency failed');
    if (status === 429 || status === 503) res.setHeader('retry-after', '1');
    res.status(status).json(body);
  };
}
