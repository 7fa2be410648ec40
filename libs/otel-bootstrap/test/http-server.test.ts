import { request as httpRequest } from 'node:http';
import { inspect } from 'node:util';
import { renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, stopAndFlush, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, spansOf, startReceiver, traceparent, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

/** A raw request, so the method, the headers and the moment of giving up are the test's. */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; abortAfterMs?: number; body?: string; bodyDelayMs?: number },
): Promise<number | 'aborted'> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error) => (options.abortAfterMs === undefined ? reject(error) : resolve('aborted')));
    if (options.abortAfterMs !== undefined) setTimeout(() => req.destroy(), options.abortAfterMs);
    if (options.bodyDelayMs === undefined) req.end(options.body);
    else {
      req.flushHeaders();
      setTimeout(() => req.end(options.body), options.bodyDelayMs);
    }
  });
}

describe('HTTP SERVER spans of a plain node:http server', () => {
  it('has the stable HTTP attributes, a redacted query, the forwarded client, and the span name of the method', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('http-plain');
    const app = await spawnFixture('http-server.cjs', { endpoint: receiver.url, serviceName });

    const status = await rawRequest(`${app.url}/plain?page=2&sig=s3cr3t-signature`, {
      headers: { 'user-agent': 'bench/1.0', 'x-forwarded-for': '203.0.113.9, 10.0.0.1', host: 'api.example.com:8443' },
    });
    expect(status).toBe(200);

    const span = first(await receiver.waitForSpans(isHttpServerSpan('/plain')));
    expect(span).toMatchObject({
      kind: 'SERVER',
      name: 'GET',
      status: { code: 'UNSET' },
      scope: { name: '@mcp/otel-bootstrap/http-server' },
      attributes: {
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'url.path': '/plain',
        'url.query': 'page=2&sig=REDACTED',
        'http.response.status_code': 200,
        'http.response.body.size': 2,
        'network.protocol.version': '1.1',
        'network.peer.address': '127.0.0.1',
        'client.address': '203.0.113.9',
        'server.address': 'api.example.com',
        'server.port': 8443,
        'user_agent.original': 'bench/1.0',
      },
    });
    expect(typeof span.attributes['network.peer.port']).toBe('number');
    expect(inspect(span, { depth: 5 }), 'the signature never reaches the span').not.toContain('s3cr3t');
  });

  it('a 5xx is an ERROR with error.type; an unknown method is _OTHER with the original kept', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('http-status');
    const app = await spawnFixture('http-server.cjs', { endpoint: receiver.url, serviceName });

    expect(await rawRequest(`${app.url}/fail`, {})).toBe(503);
    expect(await rawRequest(`${app.url}/plain`, { method: 'PURGE' })).toBe(200);

    const failed = first(await receiver.waitForSpans(isHttpServerSpan('/fail')));
    expect(failed).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'http.response.status_code': 503, 'error.type': '503' } });
    const purge = first(await receiver.waitForSpans(isHttpServerSpan('/plain')));
    expect(purge).toMatchObject({ name: 'HTTP', attributes: { 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE' } });
  });

  it('carries the request context to body listeners added later: the child span is under the SERVER span of the caller trace', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('http-body');
    const app = await spawnFixture('http-server.cjs', { endpoint: receiver.url, serviceName });
    const parent = traceparent(true);
    const body = JSON.stringify({ prompt: 'x'.repeat(2048) });

    // The body comes after the handler has added its listeners: the parser emits it from the socket.
    const headers = { traceparent: parent.header, 'content-type': 'application/json', 'content-length': String(body.length) };
    expect(await rawRequest(`${app.url}/body`, { method: 'POST', body, headers, bodyDelayMs: 200 })).toBe(201);

    const server = first(await receiver.waitForSpans(isHttpServerSpan('/body')));
    const child = first(await receiver.waitForSpans({ serviceName, name: 'read body' }));
    const tree = renderTraceTree(spansOf(receiver, serviceName));
    expect(server, tree).toMatchObject({ traceId: parent.traceId, parentSpanId: parent.parentSpanId, attributes: { 'http.request.body.size': body.length } });
    expect(child, tree).toMatchObject({ traceId: parent.traceId, parentSpanId: server.spanId });
  });

  it('a request the client gives up on still ends its span; unsampled requests make no span but are counted in the duration metric', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('http-abort');
    const app = await spawnFixture('http-server.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_METRIC_EXPORT_INTERVAL: '60000' } });

    expect(await rawRequest(`${app.url}/hang`, { abortAfterMs: 200 })).toBe('aborted');
    const unsampled = Array.from({ length: 5 }, () => traceparent(false));
    for (const parent of unsampled) expect(await rawRequest(`${app.url}/plain`, { headers: { traceparent: parent.header } })).toBe(200);
    await request(`${app.url}/plain?last`);
    await stopAndFlush(app);

    const spans = spansOf(receiver, serviceName);
    const hung = spans.filter(isHttpServerSpan('/hang'));
    expect(hung, renderTraceTree(spans)).toHaveLength(1);
    expect(hung[0]).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'error.type': 'aborted' } });
    expect(hung[0]?.attributes['http.response.status_code'], 'nothing was sent').toBeUndefined();
    expect(spans.filter((span) => unsampled.some((parent) => parent.traceId === span.traceId))).toEqual([]);
    const durations = receiver.metrics().filter((point) => point.serviceName === serviceName && point.name === 'http.server.request.duration');
    const count = (path: number) => durations.filter((p) => p.attributes['http.response.status_code'] === path).reduce((sum, p) => sum + (p.histogram?.count ?? 0), 0);
    expect(count(200), inspect(durations, { depth: 4 })).toBe(unsampled.length + 1);
    expect(durations.filter((p) => p.attributes['error.type'] === 'aborted').reduce((sum, p) => sum + (p.histogram?.count ?? 0), 0)).toBe(1);
    expect(durations.every((p) => p.attributes['http.request.method'] === 'GET' && p.attributes['url.scheme'] === 'http')).toBe(true);
  });
  it('an unsampled request, a root or under an unsampled caller, makes no span but carries a valid trace downstream (sampled=0, its trace id) and is measured', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('http-unsampled');
    const app = await spawnFixture('http-server.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0', OTEL_METRIC_EXPORT_INTERVAL: '60000' },
    });
    type Downstream = { sent: string; span: { traceId: string; spanId: string; traceFlags: number; recording: boolean } };
    const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/;

    const roots = [await request(`${app.url}/downstream`), await request(`${app.url}/downstream`)].map((answer) => answer.json<Downstream>());
    const caller = traceparent(false);
    const continued = (await request(`${app.url}/downstream`, { headers: { traceparent: caller.header } })).json<Downstream>();
    await stopAndFlush(app);

    for (const { sent, span } of [...roots, continued]) {
      const [, traceId, spanId] = TRACEPARENT.exec(sent) ?? [];
      expect(traceId, sent).toBeDefined();
      expect(traceId).not.toMatch(/^0+$/);
      expect(spanId).not.toMatch(/^0+$/);
      expect(span).toMatchObject({ traceId, traceFlags: 0, recording: false });
      expect(span.spanId).toMatch(/^(?!0+$)[0-9a-f]{16}$/);
    }
    expect(roots[0]?.span.traceId, 'each root request starts a trace of its own').not.toBe(roots[1]?.span.traceId);
    expect(continued.span.traceId).toBe(caller.traceId);
    expect(continued.span.spanId).not.toBe(caller.parentSpanId);
    expect(spansOf(receiver, serviceName), renderTraceTree(spansOf(receiver, serviceName))).toEqual([]);
    const durations = receiver.metrics().filter((point) => point.serviceName === serviceName && point.name === 'http.server.request.duration');
    const measured = durations.filter((p) => p.attributes['http.response.status_code'] === 200).reduce((sum, p) => sum + (p.histogram?.count ?? 0), 0);
    expect(measured, 'three /downstream requests and the three /traceparent requests they made').toBe(6);
  });
});
