import cors from 'cors';
import type { CorsOptions } from 'cors';
import { rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import { errorBody } from './errors.middleware';

/**
 * CORS from `CORS_ORIGINS`: none by default (no CORS headers, browsers block cross-origin reads);
 * `*` allows any origin without credentials; otherwise exactly the listed origins.
 */
export function corsPolicy(origins: readonly string[]): RequestHandler {
  const options: CorsOptions = {
    origin: origins.includes('*') ? '*' : origins.length > 0 ? [...origins] : false,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'idempotency-key', 'traceparent', 'tracestate', 'baggage'],
    exposedHeaders: ['ratelimit', 'ratelimit-policy', 'retry-after'],
    maxAge: 600,
  };
  return cors(options);
}

/** Requests per minute per client address on the API and GraphQL; 429 with Retry-After beyond that. */
export function apiRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json(errorBody(`too many requests: at most ${perMinute} per minute`));
    },
  });
}
