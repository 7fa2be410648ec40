import { Router } from 'express';
import type { Request, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { decodeExportRequest, encodeEmptyResponse, encodeExportRequest, type WireTraceRequest } from '@mcp/contracts';
import { readRequestBody } from '@mcp/service-kit';
import type { Logger } from 'pino';
import { errorBody } from '../http/errors.middleware';
import { checkBrowserTraces } from '../services/browser-traces';
import type { FrontendMetrics } from '../telemetry/frontend.metrics';

/**
 * The browser exports here (same origin, so no CORS). Untraced, with all it does: the frontend's
 * telemetry settings list it in OTEL_NODE_IGNORED_INCOMING_PATHS (deploy/apps.json: every way it runs).
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
  metrics: FrontendMetrics;
}

/**
 * `POST /otlp/v1/traces`: browser spans (OTLP protobuf or JSON), decoded, checked and rewritten by
 * `checkBrowserTraces` (the resource is the server's: `service.name=web`; sizes bounded; malformed ids
 * or times refused with 400), then re-encoded as protobuf and forwarded to the collector; the browser
 * gets an empty success in its own encoding. Bounded (512 KiB → 413 before the rest is read, other content types or a Content-Encoding → 415,
 * rate-limited → 429), and never traced itself: the path is ignored, so neither the request nor the
 * forwarding call makes spans, and export does not feed export.
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
    async (req: Request, res: Response) => {
      if (!CONTENT_TYPES.some((type) => req.is(type))) {
        res.status(415).json(errorBody(`Content-Type must be ${CONTENT_TYPES.join(' or ')}`));
        return;
      }
      // Answered as soon as the body passes the limit, the rest left unread (service-kit bounds it).
      const read = await readRequestBody(req, OTLP_PROXY_BODY_LIMIT_BYTES);
      if (!read.ok) {
        options.metrics.recordOtlpProxyRequest('refused', 0);
        res.status(read.status).json(errorBody(read.message));
        return;
      }
      const body = read.bytes;
      const encoding = req.is('application/json') ? 'json' : 'protobuf';
      let decoded: WireTraceRequest;
      try {
        decoded = decodeExportRequest('traces', encoding, body) as WireTraceRequest;
      } catch (error) {
        options.metrics.recordOtlpProxyRequest('refused', 0);
        res.status(400).json(errorBody(`body is not an OTLP/${encoding === 'json' ? 'JSON' : 'protobuf'} trace export request: ${error instanceof Error ? error.message : String(error)}`));
        return;
      }
      const verdict = checkBrowserTraces(decoded, Date.now());
      if (!verdict.ok) {
        options.metrics.recordOtlpProxyRequest('refused', 0);
        options.logger.warn({ reason: verdict.reason, bytes: body.length }, 'otlp proxy: browser trace export refused');
        res.status(400).json(errorBody(`invalid trace export: ${verdict.reason}`));
        return;
      }
      const rewritten = Object.values(verdict.rewrites).some((n) => n > 0);
      if (rewritten) options.logger.warn({ ...verdict.rewrites, spans: verdict.spans }, 'otlp proxy: browser trace export rewritten');
      const forwarded = encodeExportRequest('traces', verdict.request);
      try {
        const answer = await fetch(options.targetUrl, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: forwarded, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) });
        await answer.arrayBuffer();
        if (!answer.ok) {
          options.logger.warn({ status: answer.status, bytes: forwarded.length }, 'otlp proxy: collector failed');
          // 429/503 keep their meaning for the browser's exporter (retry later); anything else is ours to report.
          const passOn = answer.status === 429 || answer.status === 503;
          res.status(passOn ? answer.status : 502).json(errorBody(`collector answered ${answer.status}`));
          return;
        }
        options.metrics.recordOtlpProxyRequest(rewritten ? 'rewritten' : 'forwarded', verdict.spans);
        res.status(200).type(encoding === 'json' ? 'application/json' : 'application/x-protobuf').send(encodeEmptyResponse('traces', encoding));
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
