import { renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, stopAndFlush, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { isHttpServerSpan, spansOf, startReceiver, traceparent, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('incoming requests: what a service configures', () => {
  it('OTEL_NODE_IGNORED_INCOMING_PATHS adds untraced paths: no span for them nor under them, other paths still traced', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('ignored-paths');
    const app = await spawnFixture('http-server.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_NODE_IGNORED_INCOMING_PATHS: ' /body , not-a-path' },
    });
    // /body makes a child span of its own ('read body') under whatever context the request runs in.
    const sampled = traceparent(true);
    expect((await request(`${app.url}/body`, { json: { a: 1 }, headers: { traceparent: sampled.header } })).status).toBe(201);
    expect((await request(`${app.url}/plain`)).status).toBe(200);
    await stopAndFlush(app);

    const spans = spansOf(receiver, serviceName);
    const tree = renderTraceTree(spans);
    expect(spans.filter(isHttpServerSpan('/plain')), tree).toHaveLength(1);
    expect(spans.filter((span) => span.traceId === sampled.traceId || span.name === 'read body'), tree).toEqual([]);
    expect(app.stderr()).toContain('OTEL_NODE_IGNORED_INCOMING_PATHS: "not-a-path" is not a path');
  });
});

describe('incoming trace context at an edge: OTEL_NODE_INCOMING_TRACE_CONTEXT', () => {
  const baggage = 'user.tier=gold,debug=on';

  it('restart: a client sampled flag under parentbased_traceidratio 0 makes no span, and client baggage is dropped', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('edge-restart-ratio');
    const app = await spawnFixture('http-server.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_NODE_INCOMING_TRACE_CONTEXT: 'restart', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
    });
    const forced = Array.from({ length: 10 }, () => traceparent(true));
    for (const parent of forced) expect((await request(`${app.url}/plain`, { headers: { traceparent: parent.header } })).status).toBe(200);
    const seen = await request(`${app.url}/baggage`, { headers: { traceparent: traceparent(true).header, baggage } });
    await stopAndFlush(app);

    expect(seen.json(), 'client baggage in the request context').toEqual({});
    expect(spansOf(receiver, serviceName), renderTraceTree(spansOf(receiver, serviceName))).toEqual([]);
    console.log(`[RELIABILITY] edge restart, ratio 0: ${forced.length} requests with a sampled client traceparent → ${spansOf(receiver, serviceName).length} spans; client baggage entries seen by the app: ${Object.keys(seen.json<object>()).length}`);
  });

  it('restart: a sampled request is a new trace (no parent) that links the client span', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('edge-restart-link');
    const app = await spawnFixture('http-server.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_NODE_INCOMING_TRACE_CONTEXT: 'restart' } });
    const client = traceparent(true);
    expect((await request(`${app.url}/plain`, { headers: { traceparent: client.header } })).status).toBe(200);
    const [server] = await receiver.waitForSpans(isHttpServerSpan('/plain'));
    await stopAndFlush(app);

    expect(server).toMatchObject({ parentSpanId: undefined, links: [{ traceId: client.traceId, spanId: client.parentSpanId }] });
    expect(server?.traceId).not.toBe(client.traceId);
  });

  it('trust (the default): the client context is continued as before, a sampled flag wins over ratio 0, baggage reaches the app', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('edge-trust');
    const app = await spawnFixture('http-server.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
    });
    const client = traceparent(true);
    expect((await request(`${app.url}/plain`, { headers: { traceparent: client.header } })).status).toBe(200);
    const seen = await request(`${app.url}/baggage`, { headers: { baggage } });
    const [server] = await receiver.waitForSpans(isHttpServerSpan('/plain'));
    await stopAndFlush(app);

    expect(server).toMatchObject({ traceId: client.traceId, parentSpanId: client.parentSpanId, links: [] });
    expect(seen.json()).toEqual({ 'user.tier': 'gold', debug: 'on' });
  });
});
