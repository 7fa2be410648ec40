import { assertParentChild, renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, SEED_BUCKETS_SECONDS, spansOf, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('outgoing requests with fetch (undici)', () => {
  it('a CLIENT span under the SERVER span with the stable HTTP client attributes, continued by the server it calls; http.client.request.duration', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('fetch');
    const downstreamService = uniqueServiceName('fetch-downstream');
    const downstream = await spawnFixture('http-server.cjs', { endpoint: receiver.url, serviceName: downstreamService });
    const app = await spawnFixture('fetch-app.cjs', { endpoint: receiver.url, serviceName, env: { DOWNSTREAM_URL: downstream.url } });

    const answer = await request(`${app.url}/relay`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json()).toEqual({ status: 200, text: 'ok' });

    const server = first(await receiver.waitForSpans(isHttpServerSpan('/relay')));
    const client = first(await receiver.waitForSpans({ serviceName, kind: 'CLIENT', traceId: server.traceId }));
    const continued = first(await receiver.waitForSpans({ serviceName: downstreamService, kind: 'SERVER', traceId: server.traceId }));
    const spans = receiver.spans();
    const tree = renderTraceTree(spans);

    expect(client, tree).toMatchObject({
      name: 'GET',
      status: { code: 'UNSET' },
      attributes: {
        'http.request.method': 'GET',
        'url.full': `${downstream.url}/plain`,
        'server.address': '127.0.0.1',
        'server.port': downstream.port,
        'http.response.status_code': 200,
        'network.peer.address': '127.0.0.1',
        'network.protocol.version': '1.1',
      },
    });
    expect(client.attributes, tree).not.toHaveProperty('error.type');
    assertParentChild(spans, server, client);
    // The traceparent fetch sent: the downstream server's span is the CLIENT span's child.
    assertParentChild(spans, client, continued);
    expect(continued.attributes['url.path']).toBe('/plain');
    // One CLIENT span per call: fetch is not also seen by the node:http client instrumentation.
    expect(spansOf(receiver, serviceName).filter((span) => span.kind === 'CLIENT').map((span) => span.name), tree).toEqual(['GET']);

    const point = await receiver.waitForMetric('http.client.request.duration', {
      attributes: { 'server.port': downstream.port },
      predicate: (p) => p.serviceName === serviceName && (p.histogram?.count ?? 0) >= 1,
    });
    expect(point).toMatchObject({
      type: 'histogram',
      unit: 's',
      attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'server.address': '127.0.0.1', 'url.scheme': 'http' },
    });
    expect(point.histogram?.count).toBe(1);
    expect(point.histogram?.explicitBounds).toEqual(SEED_BUCKETS_SECONDS);
    expect(point.histogram?.sum).toBeLessThan(10);
  });
});
