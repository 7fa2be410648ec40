import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeExportRequest, encodeExportRequest, type WireTraceRequest } from '@mcp/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWebDist } from '../src/routes/web.routes';
import { freePort } from '@mcp/test-kit';
import { startFrontend } from './support/frontend-harness';
import type { RunningFrontend } from './support/frontend-harness';

/** A stand-in collector: records what the proxy forwards, answers like an OTLP/HTTP endpoint. */
async function startCollector(status = 200): Promise<{ url: string; received: Array<{ type: string | undefined; body: Buffer; traceparent: string | undefined }>; close(): Promise<void> }> {
  const received: Array<{ type: string | undefined; body: Buffer; traceparent: string | undefined }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ type: req.headers['content-type'], body: Buffer.concat(chunks), traceparent: req.headers['traceparent'] as string | undefined });
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end('{"partialSuccess":{}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A trace export as the web page's SDK sends it: resource web/webjs, one span of now. */
function webExport(): WireTraceRequest {
  const start = BigInt(Date.now()) * 1_000_000n;
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'web' } }, { key: 'telemetry.sdk.language', value: { stringValue: 'webjs' } }] };
  const span = { traceId: randomBytes(16), spanId: randomBytes(8), name: 'documentLoad', kind: 1, startTimeUnixNano: start.toString(), endTimeUnixNano: (start + 1_000_000n).toString(), attributes: [] };
  return { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'doc' }, spans: [span] }] }] };
}

/** OTLP/JSON of an export: ids as hex. */
const asJson = (request: WireTraceRequest): string =>
  JSON.stringify(request, (key, value: unknown) => (['traceId', 'spanId'].includes(key) && value !== null && typeof value === 'object' && 'data' in value ? Buffer.from((value as { data: number[] }).data).toString('hex') : value));

describe('web page and OTLP proxy', () => {
  let dist: string;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let frontend: RunningFrontend;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'web-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>MCP</title><script type="module" src="/assets/app-abc.js"></script>');
    writeFileSync(join(dist, 'assets', 'app-abc.js'), 'console.log(1)');
    collector = await startCollector();
    frontend = await startFrontend({
      WEB_DIST_DIR: dist,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
      WEB_JAEGER_URL: 'http://jaeger.test:16686/',
      WEB_HUB_URL: 'http://hub.test:3002',
      OTLP_PROXY_RATE_LIMIT_PER_MINUTE: '4',
    });
  });
  afterAll(async () => {
    await frontend?.close();
    await collector?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves the page at / with a CSP that allows the hub, and hashed assets as immutable', async () => {
    const page = await fetch(`${frontend.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>MCP</title>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("connect-src 'self' http://hub.test:3002 ws://hub.test:3002");
    expect(csp).toContain("script-src 'self'");
    const asset = await fetch(`${frontend.url}/assets/app-abc.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const missing = await fetch(`${frontend.url}/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'no route for GET /assets/nope.js' });
  });

  it('tells the page where Jaeger, the hub and the collector proxy are', async () => {
    const response = await fetch(`${frontend.url}/config.json`);
    expect(await response.json()).toEqual({ jaegerUrl: 'http://jaeger.test:16686', hubUrl: 'http://hub.test:3002', collectorUrl: '/otlp/v1/traces' });
  });

  it('forwards a web export in either encoding to the collector as protobuf (checked, same spans), without a traceparent of its own', async () => {
    const fromJson = webExport();
    const a = await fetch(`${frontend.url}/otlp/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: asJson(fromJson) });
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual({});
    const fromProtobuf = webExport();
    const b = await fetch(`${frontend.url}/otlp/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeExportRequest('traces', fromProtobuf) });
    expect(b.status).toBe(200);
    expect(collector.received.map((r) => r.type)).toEqual(['application/x-protobuf', 'application/x-protobuf']);
    const forwarded = collector.received.map((r) => decodeExportRequest('traces', 'protobuf', r.body) as WireTraceRequest);
    const spanOf = (request: WireTraceRequest | undefined) => request?.resourceSpans?.[0]?.scopeSpans?.[0]?.spans?.[0];
    expect(Buffer.from(spanOf(forwarded[0])?.spanId ?? []).equals(Buffer.from(spanOf(fromJson)?.spanId ?? []))).toBe(true);
    expect(Buffer.from(spanOf(forwarded[1])?.spanId ?? []).equals(Buffer.from(spanOf(fromProtobuf)?.spanId ?? []))).toBe(true);
    expect(forwarded[1]?.resourceSpans?.[0]?.resource).toMatchObject(fromProtobuf.resourceSpans?.[0]?.resource ?? {});
    expect(collector.received.every((r) => r.traceparent === undefined)).toBe(true);
  });

  it('refuses other content types (415) and bodies over 512 KiB (413), then rate-limits (429: the fifth export in a minute with a limit of 4)', async () => {
    const text = await fetch(`${frontend.url}/otlp/v1/traces`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(text.status).toBe(415);
    const big = await fetch(`${frontend.url}/otlp/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(512 * 1024 + 1) });
    expect(big.status).toBe(413);
    const limited = await fetch(`${frontend.url}/otlp/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit-policy')).toContain('4');
  });

  it('answers 503 when the collector is unreachable, and does not serve a page that is not built', async () => {
    const other = await startFrontend({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${await freePort()}/v1/traces`, WEB_DIST_DIR: join(dist, 'missing') });
    try {
      const down = await fetch(`${other.url}/otlp/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: asJson(webExport()) });
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ error: 'collector is unavailable' });
      const page = await fetch(`${other.url}/`);
      expect(page.status).toBe(404);
      expect((await (await fetch(`${other.url}/config.json`)).json()) as Record<string, unknown>).toMatchObject({ jaegerUrl: null, collectorUrl: '/otlp/v1/traces' });
    } finally {
      await other.close();
    }
  });

  it('finds apps/web/dist walking up from a directory, or nothing', () => {
    const root = mkdtempSync(join(tmpdir(), 'web-root-'));
    try {
      mkdirSync(join(root, 'apps', 'web', 'dist'), { recursive: true });
      mkdirSync(join(root, 'apps', 'frontend', 'dist', 'routes'), { recursive: true });
      expect(resolveWebDist(undefined, join(root, 'apps', 'frontend', 'dist', 'routes'))).toBeUndefined();
      writeFileSync(join(root, 'apps', 'web', 'dist', 'index.html'), '<!doctype html>');
      expect(resolveWebDist(undefined, join(root, 'apps', 'frontend', 'dist', 'routes'))).toBe(join(root, 'apps', 'web', 'dist'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
