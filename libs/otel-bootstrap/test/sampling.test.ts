import { renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, stopAndFlush, useFixtureCleanup } from './support/fixture-process';
import { mapLimit, request } from './support/http-client';
import { spansOf, startReceiver, traceparent, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('sampling (OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG)', () => {
  it('traceidratio 0.25 keeps about a quarter of 400 root requests (binomial bound 0.25 ± 0.08, ~3.7 sd)', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('ratio');
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' },
    });
    const requests = 400;

    const statuses = await mapLimit(Array.from({ length: requests }, (_, i) => i), 16, async (i) => (await request(`${app.url}/work/${i}`)).status);
    expect(statuses.every((status) => status === 200)).toBe(true);
    await stopAndFlush(app);

    const roots = spansOf(receiver, serviceName).filter((span) => span.kind === 'SERVER' && span.parentSpanId === undefined);
    const paths = new Set(roots.map((span) => span.attributes['url.path']));
    expect(paths.size, 'one root span per sampled request').toBe(roots.length);
    const ratio = roots.length / requests;
    expect(ratio, `${roots.length} of ${requests} root requests sampled`).toBeGreaterThanOrEqual(0.17);
    expect(ratio, `${roots.length} of ${requests} root requests sampled`).toBeLessThanOrEqual(0.33);
    // Sampling is per trace: a sampled request keeps its child spans too.
    const traceIds = new Set(roots.map((span) => span.traceId));
    const children = spansOf(receiver, serviceName).filter((span) => span.name === 'do work');
    expect(children.every((span) => traceIds.has(span.traceId))).toBe(true);
    expect(children).toHaveLength(roots.length);
  });

  it('parentbased_traceidratio (the seed production setting, 0.1): a sampled parent (-01) is always kept, an unsampled one (-00) never', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('parentbased');
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
    });
    const sampled = Array.from({ length: 40 }, () => traceparent(true));
    const unsampled = Array.from({ length: 40 }, () => traceparent(false));

    await mapLimit([...sampled, ...unsampled], 8, async (parent) => {
      const answer = await request(`${app.url}/traceparent-echo`, { headers: { traceparent: parent.header } });
      expect(answer.status).toBe(200);
    });
    await stopAndFlush(app);

    const spans = spansOf(receiver, serviceName);
    const servers = new Map(spans.filter((span) => span.kind === 'SERVER').map((span) => [span.traceId, span]));
    for (const parent of sampled) {
      const server = servers.get(parent.traceId);
      expect(server, `sampled parent ${parent.header} was dropped\n${renderTraceTree(spans)}`).toBeDefined();
      expect(server?.parentSpanId).toBe(parent.parentSpanId);
    }
    const leaked = unsampled.filter((parent) => spans.some((span) => span.traceId === parent.traceId));
    expect(leaked.map((parent) => parent.header)).toEqual([]);
    expect(servers.size).toBe(sampled.length);
  });

  it('always_off exports no spans, and the app still serves', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('always-off');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_TRACES_SAMPLER: 'always_off' } });

    expect((await request(`${app.url}/users/1`, { headers: { traceparent: traceparent(true).header } })).status).toBe(200);
    await stopAndFlush(app);

    expect(spansOf(receiver, serviceName)).toEqual([]);
  });
  it('with SDK self-metrics on (OTEL_NODE_EXPERIMENTAL_SDK_METRICS), every span the sampler drops is still counted as started, DROP', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('self-metrics-drop');
    const app = await spawnFixture('http-server.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0', OTEL_NODE_EXPERIMENTAL_SDK_METRICS: 'true' },
    });
    const requests = 5;
    for (let i = 0; i < requests; i += 1) expect((await request(`${app.url}/plain`)).status).toBe(200);
    await stopAndFlush(app);

    const started = receiver
      .metrics()
      .filter((p) => p.serviceName === serviceName && p.name === 'otel.sdk.span.started' && p.attributes['otel.span.sampling_result'] === 'DROP');
    const latest = started.reduce<(typeof started)[number] | undefined>((a, p) => (a === undefined || p.timeUnixNano > a.timeUnixNano ? p : a), undefined);
    expect(latest?.attributes['otel.span.parent.origin']).toBe('none');
    expect(latest?.value, 'one dropped SERVER span per request').toBe(requests);
    expect(spansOf(receiver, serviceName)).toEqual([]);
  });
});
