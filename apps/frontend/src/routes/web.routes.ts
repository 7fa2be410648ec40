import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import express, { Router } from 'express';
import type { Request } from 'express';
import type { Logger } from 'pino';
import type { WebConfig } from '../config';
import { OTLP_PROXY_PATH } from './otlp-proxy.routes';

/** What the page reads at start (`GET /config.json`). */
export interface WebPageConfig {
  /** Base URL of the Jaeger UI; the page links `<jaegerUrl>/trace/<traceId>`. Null: no links. */
  jaegerUrl: string | null;
  /** The collaboration-hub as browsers reach it. Null: the page's host on port 3002. */
  hubUrl: string | null;
  /** Where the page exports its spans (the OTLP proxy of this service). */
  collectorUrl: string;
}

/**
 * The directory of the built page: WEB_DIST_DIR, else the first `apps/web/dist` with an index.html
 * found walking up from this file (works from src/ with tsx and from dist/ compiled), else the
 * working directory's. Undefined when the page is not built.
 */
export function resolveWebDist(explicit: string | undefined, from: string = __dirname): string | undefined {
  if (explicit !== undefined) return existsSync(join(explicit, 'index.html')) ? resolve(explicit) : undefined;
  let dir = resolve(from);
  for (let depth = 0; depth < 8; depth += 1) {
    const candidate = join(dir, 'apps', 'web', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const fromCwd = resolve('apps', 'web', 'dist');
  return existsSync(join(fromCwd, 'index.html')) ? fromCwd : undefined;
}

function origins(url: string): string[] {
  const parsed = new URL(url);
  const ws = `${parsed.protocol === 'https:' ? 'wss:' : 'ws:'}//${parsed.host}`;
  return [parsed.origin, ws];
}

/** Helmet's policy, plus the hub (HTTP and WebSocket) as a connect-src, and without upgrade-insecure-requests (plain-http dev hubs). */
function contentSecurityPolicy(hubUrl: string): string {
  return [
    "default-src 'self'",
    "base-uri 'self'",
    `connect-src 'self' ${origins(hubUrl).join(' ')}`,
    "font-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self'",
  ].join('; ');
}

function hubUrlFor(config: WebConfig, req: Request): string {
  return config.hubPublicUrl ?? `${req.protocol}://${req.hostname}:3002`;
}

/**
 * The web page (apps/web, built by Vite) at `/`, and `GET /config.json` for it. When the page is not
 * built the API serves as before and a log line says so.
 */
export function webRoutes(config: WebConfig, logger: Logger): Router {
  const router = Router();
  router.get('/config.json', (req, res) => {
    const body: WebPageConfig = { jaegerUrl: config.jaegerUiUrl ?? null, hubUrl: config.hubPublicUrl ?? null, collectorUrl: OTLP_PROXY_PATH };
    res.setHeader('cache-control', 'no-store');
    res.json({ ...body, hubUrl: body.hubUrl ?? hubUrlFor(config, req) });
  });

  const dist = resolveWebDist(config.distDir);
  if (dist === undefined) {
    logger.info({ web_dist_dir: config.distDir ?? null }, 'web page not built (apps/web/dist missing): not serving it; run nx run @mcp/web:build');
    return router;
  }
  logger.info({ web_dist_dir: dist }, 'serving the web page at /');
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') res.setHeader('content-security-policy', contentSecurityPolicy(hubUrlFor(config, req)));
    next();
  });
  // Vite names assets by content hash: cache them for good; index.html always revalidates.
  router.use('/assets', express.static(join(dist, 'assets'), { immutable: true, maxAge: '365d', fallthrough: true, index: false }));
  router.use(express.static(dist, { index: 'index.html', maxAge: 0, fallthrough: true }));
  return router;
}
