import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { spansOf, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('telemetry that cannot start never takes the service down', () => {
  it('a broken install (require("@opentelemetry/sdk-trace") throws) → the app serves 200 and stderr says telemetry failed to start', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('start-failure');
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      requireBefore: ['break-sdk-trace.cjs'],
    });

    expect((await request(`${app.url}/users/1`)).status).toBe(200);
    expect((await request(`${app.url}/echo`, { json: { ok: true } })).status).toBe(201);
    expect(app.stderr()).toMatch(/\[otel-bootstrap\] error: telemetry failed to start, the service runs without it: simulated broken install/);

    // The no-op handle still shuts the process down cleanly, and no span was ever exported.
    app.kill('SIGTERM');
    expect(await app.waitForExit(15_000), app.describe()).toEqual({ code: 0, signal: null });
    expect(spansOf(receiver, serviceName)).toEqual([]);
  });
});
