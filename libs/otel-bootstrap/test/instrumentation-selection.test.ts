import { renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, stopAndFlush, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, spansOf, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
  it('disabled=express: the HTTP span stays (without a route), no express span', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('disabled-express');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express' } });

    await request(`${app.url}/users/9`);
    const server = first(await receiver.waitForSpans(isHttpServerSpan('/users/9')));
    await stopAndFlush(app);

    const spans = spansOf(receiver, serviceName);
    expect(server.name).toBe('GET');
    expect(server.attributes).not.toHaveProperty('http.route');
    expect(spans.filter((span) => span.scope.name.includes('express')), renderTraceTree(spans)).toEqual([]);
  });

  it('disabled=pino: no OTLP log record and no trace ids in the log line', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('disabled-pino');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino' } });

    await request(`${app.url}/log?marker=no-pino`);
    const line = await app.waitForJsonLine((l) => l['marker'] === 'no-pino');
    await stopAndFlush(app);

    expect(line).not.toHaveProperty('trace_id');
    expect(receiver.logs()).toEqual([]);
    expect(spansOf(receiver, serviceName).some((span) => span.attributes['url.path'] === '/log')).toBe(true);
  });

  it('enabled=http,pino: only those two; the log record is still correlated with the HTTP span', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('enabled-http-pino');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pino' } });

    await request(`${app.url}/log?marker=only`);
    await stopAndFlush(app);

    const spans = spansOf(receiver, serviceName);
    expect(new Set(spans.map((span) => span.scope.name))).toEqual(new Set(['@mcp/otel-bootstrap/http-server']));
    const server = first(spans.filter(isHttpServerSpan('/log')));
    expect(receiver.logs().map((log) => log.traceId)).toEqual([server.traceId]);
    // No runtime-node: no nodejs.* / v8js.* metrics.
    expect(receiver.metrics().filter((p) => /^(nodejs|v8js)\./.test(p.name))).toEqual([]);
  });

  // Regression test: when no eagerly created instrumentation has installed the require hook, the
  // first library instrumentation is created inside the bootstrap's require wrapper; the library
  // that triggered it must still load through the new hook.
  it('enabled=pino alone: pino records are still exported', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('enabled-pino');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pino' } });

    await request(`${app.url}/log?marker=pino-alone`);
    await app.waitForJsonLine((l) => l['marker'] === 'pino-alone');
    await stopAndFlush(app);

    expect(receiver.logs().filter((log) => log.serviceName === serviceName)).toHaveLength(1);
  });

  // The same, as a service would meet it: model-router enabling only what it uses.
  it('enabled=grpc alone: client and server spans of a call are exported', async () => {
    const receiver = await startReceiver();
    const env = { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'grpc' };
    const server = await spawnFixture('grpc-server.cjs', { endpoint: receiver.url, serviceName: uniqueServiceName('grpc-only-server'), env });
    const client = await spawnFixture('grpc-client.cjs', {
      endpoint: receiver.url,
      serviceName: uniqueServiceName('grpc-only-client'),
      env: { ...env, GRPC_TARGET: `127.0.0.1:${server.port}` },
    });

    expect((await request(`${client.url}/greet/solo`)).status).toBe(200);
    await stopAndFlush(client);
    await stopAndFlush(server);

    expect(receiver.spans().map((span) => span.kind).sort()).toEqual(['CLIENT', 'SERVER']);
  });
});
