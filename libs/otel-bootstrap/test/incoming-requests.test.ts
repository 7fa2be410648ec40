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
