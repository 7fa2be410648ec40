/**
 * Another SDK registered the global providers before the preload (a vendor SDK, an injected agent):
 * the preload must say so once and stand down, not run inert exporters or patch libraries again.
 */
import { describe, expect, it } from 'vitest';
import { spawnFixture, stopAndFlush, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { spansOf, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

const STAND_DOWN = /\[otel-bootstrap\] error: another OpenTelemetry SDK registered the global (.+) before this preload: this preload stands down/g;
const OURS = '@mcp/otel-bootstrap';

describe('a second SDK registered first', () => {
  it.each([
    ['trace,metrics,logs', 'tracer provider (TracerProvider), meter provider (MeterProvider), logger provider (LoggerProvider)'],
    ['trace', 'tracer provider (TracerProvider)'],
    ['logs', 'logger provider (LoggerProvider)'],
  ])('the stock SDK providers (%s): one error naming them; ours stands down: nothing exported, nothing patched', async (signals, named) => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('second-sdk');
    const otherName = `${serviceName}-other`;
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      requireBefore: ['second-sdk.cjs'],
      env: { SECOND_SDK_SIGNALS: signals, SECOND_SDK_SERVICE_NAME: otherName },
    });
    for (let i = 0; i < 3; i += 1) expect((await request(`${app.url}/work/${i}`)).status).toBe(200);
    expect((await request(`${app.url}/log?marker=second-sdk`)).status).toBe(200);
    // The app's own spans go to whichever tracer provider is global: the other SDK's, when it has one.
    const appSpans = signals.includes('trace') ? await receiver.waitForSpans({ serviceName: otherName, name: 'do work' }, { count: 3 }) : [];
    await stopAndFlush(app);

    const warnings = [...app.stderr().matchAll(STAND_DOWN)];
    expect(warnings.map((m) => m[1]), app.stderr()).toEqual([named]);
    const ours = {
      spans: spansOf(receiver, serviceName).length,
      metrics: receiver.metrics().filter((m) => m.serviceName === serviceName).length,
      logs: receiver.logs().filter((l) => l.serviceName === serviceName).length,
    };
    const serverSpans = receiver.spans().filter((s) => s.kind === 'SERVER').length;
    expect({ ...ours, serverSpans }).toEqual({ spans: 0, metrics: 0, logs: 0, serverSpans: 0 });
    // pino was not patched either: no trace_id injected into the app's log lines.
    expect(app.stdout()).toContain('handling the log route');
    expect(app.stdout()).not.toContain('trace_id');
    console.log(
      `[RELIABILITY] second SDK (${signals}) first: ${warnings.length} error line; ours exported ${ours.spans} spans, ${ours.metrics} metric points, ${ours.logs} logs; SERVER spans ${serverSpans}; the other SDK's app spans ${appSpans.length}`,
    );
  });

  it('the app starts telemetry again from its code: the no-op handle, the same each time, and no second error', async () => {
    const app = await spawnFixture('start-again.cjs', { endpoint: 'http://127.0.0.1:9', serviceName: uniqueServiceName('start-again'), requireBefore: ['second-sdk.cjs'] });
    const ready = app
      .stdout()
      .split('\n')
      .map((line) => (line.startsWith('{"ready":true') ? (JSON.parse(line) as { enabled: boolean; sameHandle: boolean }) : undefined))
      .find(Boolean);
    await stopAndFlush(app);
    expect(ready).toEqual({ ready: true, port: expect.any(Number), enabled: false, sameHandle: true });
    expect([...app.stderr().matchAll(STAND_DOWN)], app.stderr()).toHaveLength(1);
  });

  it('the stock auto-instrumentation agent (as the Operator injects it): one SERVER span per request, all of it the agent\'s', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('stock-agent');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, requireBefore: ['stock-agent.cjs'], readyTimeoutMs: 60_000 });
    const requests = 4;
    for (let i = 0; i < requests; i += 1) expect((await request(`${app.url}/users/${i}`)).status).toBe(200);
    const server = await receiver.waitForSpans({ serviceName, kind: 'SERVER' }, { count: requests });
    // The agent handles SIGTERM itself without exiting (its process, its exit): a SIGKILL ends it.
    app.kill('SIGKILL');
    await app.waitForExit(15_000);

    expect([...app.stderr().matchAll(STAND_DOWN)].map((m) => m[1]), app.stderr()).toEqual([expect.stringMatching(/^tracer provider \(\w+\), meter provider \(\w+\), logger provider \(\w+\)$/)]);
    const all = spansOf(receiver, serviceName);
    const serverSpans = all.filter((s) => s.kind === 'SERVER');
    expect(serverSpans, 'one SERVER span per request: the libraries were patched once').toHaveLength(requests);
    expect(server.every((s) => !s.scope.name.startsWith(OURS))).toBe(true);
    expect(all.filter((s) => s.scope.name.startsWith(OURS))).toEqual([]);
    expect(receiver.metrics().filter((m) => m.scope.name.startsWith(OURS))).toEqual([]);
    console.log(`[RELIABILITY] stock agent first: ${requests} requests → ${serverSpans.length} SERVER spans (scope ${serverSpans[0]?.scope.name}), 0 from ours`);
  });
});
