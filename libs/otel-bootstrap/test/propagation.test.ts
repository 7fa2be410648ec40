import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, startReceiver, traceparent, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('propagation (OTEL_PROPAGATORS)', () => {
  it.each([
    { propagators: undefined, header: 'traceparent', joins: true },
    { propagators: undefined, header: 'b3', joins: false },
    { propagators: 'tracecontext,baggage', header: 'traceparent', joins: true },
    { propagators: 'b3', header: 'b3', joins: true },
    { propagators: 'b3', header: 'traceparent', joins: false },
    { propagators: 'b3multi', header: 'x-b3-*', joins: true },
  ] as const)('OTEL_PROPAGATORS=$propagators, incoming $header → continues the caller trace: $joins', async ({ propagators, header, joins }) => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName(`propagators-${propagators ?? 'default'}`);
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_PROPAGATORS: propagators } });
    const caller = traceparent(true);
    const headers: Record<string, string> =
      header === 'traceparent'
        ? { traceparent: caller.header }
        : header === 'b3'
          ? { b3: `${caller.traceId}-${caller.parentSpanId}-1` }
          : { 'x-b3-traceid': caller.traceId, 'x-b3-spanid': caller.parentSpanId, 'x-b3-sampled': '1' };

    expect((await request(`${app.url}/users/3`, { headers })).status).toBe(200);

    const server = first(await receiver.waitForSpans(isHttpServerSpan('/users/3')));
    if (joins) {
      expect(server).toMatchObject({ traceId: caller.traceId, parentSpanId: caller.parentSpanId });
    } else {
      expect(server.traceId).not.toBe(caller.traceId);
      expect(server.parentSpanId).toBeUndefined();
    }
  });
});
