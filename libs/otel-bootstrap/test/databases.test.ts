import { assertParentChild, renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { dbStatement, dbSystem, first, isHttpServerSpan, spansOf, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('Redis (node-redis 5) and PostgreSQL (pg 8) inside an Express request, against the real servers', () => {
  it('exports CLIENT spans under the request with the command or SQL, and never the stored value', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('databases');
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { FIXTURE_CONNECT_DATABASES: 'true' },
    });
    const key = `k-${process.pid}-${Date.now()}`;
    const canary = `model-answer-canary-${Date.now()}`;

    const answer = await request(`${app.url}/cache/${key}`, { json: { value: canary } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json()).toMatchObject({ cached: true, echoed: true, size: canary.length });

    const http = first(await receiver.waitForSpans(isHttpServerSpan(`/cache/${key}`)));
    const set = first(await receiver.waitForSpans({ serviceName, traceId: http.traceId, name: 'redis-SET' }));
    const get = first(await receiver.waitForSpans({ serviceName, traceId: http.traceId, name: 'redis-GET' }));
    const query = first(await receiver.waitForSpans({ serviceName, traceId: http.traceId, name: /^pg\.query/ }));
    const trace = spansOf(receiver, serviceName).filter((span) => span.traceId === http.traceId);
    const tree = renderTraceTree(trace, { attributes: ['db.query.text', 'db.statement'] });

    for (const span of [set, get]) {
      expect(span.kind, tree).toBe('CLIENT');
      expect(dbSystem(span), tree).toBe('redis');
      assertParentChild(trace, http, span, { direct: false });
    }
    // The serializer keeps the command and the key, and only counts the other arguments.
    expect(dbStatement(set)).toBe(`SET otel-test:${key} [3 other arguments]`);
    expect(dbStatement(get)).toBe(`GET otel-test:${key}`);

    expect(query.kind).toBe('CLIENT');
    expect(dbSystem(query)).toBe('postgresql');
    expect(query.attributes).toMatchObject({ 'db.namespace': 'test', 'server.address': '127.0.0.1', 'server.port': 5432 });
    expect(dbStatement(query)).toBe('SELECT $1::text AS echoed, length($1::text) AS size');
    assertParentChild(trace, http, query, { direct: false });

    // Neither the Redis value nor the SQL parameter reaches any exported span, metric or log.
    expect(receiver.scanFor(canary)).toEqual([]);
  });
});

describe('start-up noise', () => {
  it('the redis client connecting at start makes no root trace of its own; request spans are kept', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('startup-noise');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { FIXTURE_CONNECT_DATABASES: 'true' } });
    const key = `noise-${process.pid}-${Date.now()}`;
    expect((await request(`${app.url}/cache/${key}`, { json: { value: 'v' } })).status).toBe(200);
    await receiver.waitForSpans(isHttpServerSpan(`/cache/${key}`));
    app.kill('SIGTERM');
    await app.waitForExit();

    const spans = spansOf(receiver, serviceName);
    expect(spans.filter((span) => span.name === 'redis-connect' && span.parentSpanId === undefined), renderTraceTree(spans)).toEqual([]);
    expect(spans.some((span) => span.name === 'redis-SET')).toBe(true);
  });
});
