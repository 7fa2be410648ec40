import express, { Router } from 'express';
import type { Request, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { errorBody } from '../http/errors.middleware';

/**
 * The browser exports here (same origin, so no CORS). Untraced, with all it does: the frontend's
 * configuration lists it in OTEL_NODE_IGNORED_INCOMING_PATHS (compose, Kubernetes, the dev targets).
 */
export const OTLP_PROXY_PATH = '/otlp/v1/traces';
/** Browser batches are small (a few hundred spans at most); anything bigger is refused with 413. */
export const OTLP_PROXY_BODY_LIMIT_BYTES = 512 * 1024;
const FORWARD_TIMEOUT_MS = 5_000;
const CONTENT_TYPES = ['application/x-protobuf', 'application/json'] as const;

export interface OtlpProxyOptions {
  /** The collector's OTLP/HTTP trace endpoint (this process's own OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). */
  targetUrl: string;
  ratePerMinute: number;
  logger: Logger;
}

/**
 * `POST /otlp/v1/traces`: browser spans, forwarded as they came (protobuf or JSON) to the collector.
 * Bounded (512 KiB → 413, other content types → 415, rate-limited → 429), and never traced itself:
 * the path is ignored, so neither the request nor the forwarding call makes spans, and export does
 * not feed export.
 */
export function otlpProxyRoutes(options: OtlpProxyOptions): Router {
  const router = Router();
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: options.ratePerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json(errorBody(`too many trace exports: at most ${options.ratePerMinute} per minute`));
    },
  });
  router.post(
    OTLP_PROXY_PATH,
    limiter,
    (req, res, next) => {
      if (CONTENT_TYPES.some((type) => req.is(type))) return next();
      res.status(415).json(errorBody(`Content-Type must be ${CONTENT_TYPES.join(' or ')}`));
    },
    express.raw({ type: [...CONTENT_TYPES], limit: OTLP_PROXY_BODY_LIMIT_BYTES }),
    async (req: Request, res: Response) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const contentType = req.is('application/json') ? 'application/json' : 'application/x-protobuf';
      try {
        const answer = await fetch(options.targetUrl, { method: 'POST', headers: { 'content-type': contentType }, body, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) });
        const payload = Buffer.from(await answer.arrayBuffer());
        if (answer.status >= 500) {
          options.logger.warn({ status: answer.status, bytes: body.length }, 'otlp proxy: collector failed');
          res.status(502).json(errorBody(`collector failed with ${answer.status}`));
          return;
        }
        res.status(answer.status).type(answer.headers.get('content-type') ?? contentType).send(payload);
      } catch (error) {
        const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        options.logger.warn({ bytes: body.length, error: timedOut ? 'timeout' : (error as Error).message }, 'otlp proxy: collector unreachable');
        if (!timedOut) res.setHeader('retry-after', '5');
        res.status(timedOut ? 504 : 503).json(errorBody(timedOut ? `collector did not answer within ${FORWARD_TIMEOUT_MS} ms` : 'collector is unavailable'));
      }
    },
  );
  return router;
}
