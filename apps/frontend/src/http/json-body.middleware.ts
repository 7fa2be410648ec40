import type { RequestHandler } from 'express';
import { LIMITS } from '@mcp/contracts';
import { hasBody, readJsonBody } from '@mcp/service-kit';
import { errorBody } from './errors.middleware';

/**
 * Every request body the routes after it see is JSON read within the limits, or the request is
 * refused before its body is read (415 other media types, 413 over the size limit, 400 nesting
 * deeper than `LIMITS.jsonNestingDepth` or malformed). Without it, a body express.json skips (say,
 * `Content-Type: application/j son`) would be read by graphql-http to its end, unbounded; and
 * express.json itself reads an oversized chunked body to its end before answering 413.
 */
export function jsonBodies(): RequestHandler {
  const limits = { limitBytes: LIMITS.jsonBodyBytes, maxDepth: LIMITS.jsonNestingDepth };
  return async (req, res, next) => {
    if (!hasBody(req)) return next();
    const body = await readJsonBody(req, limits);
    if (body.ok) {
      req.body = body.value;
      return next();
    }
    res.status(body.status).json(errorBody(body.message));
  };
}
