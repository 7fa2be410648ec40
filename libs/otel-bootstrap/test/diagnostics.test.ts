import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { isHttpServerSpan, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

/** stdout lines that are not JSON: anything but the app's own (pino and fixture) lines. */
function nonJsonStdoutLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
}

describe('OTEL_LOG_LEVEL', () => {
  it.each([
    { level: undefined, warns: true },
    { level: 'warn', warns: true },
    { level: 'error', warns: false },
    { level: 'none', warns: false },
  ])('OTEL_LOG_LEVEL=$level: the warning for a bad value is shown: $warns', async ({ level, warns }) => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName(`log-level-${level ?? 'default'}`);
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_LOG_LEVEL: level, OTEL_TRACES_SAMPLER: 'bogus' },
    });

    await request(`${app.url}/users/1`);
    await receiver.waitForSpans(isHttpServerSpan('/users/1'));
    expect(/OTEL_TRACES_SAMPLER="bogus"/.test(app.stderr()), app.stderr()).toBe(warns);
    expect(nonJsonStdoutLines(app.stdout())).toEqual([]);
  });

  // DiagConsoleLogger would write info/debug to stdout, among the services' JSON log lines;
  // the bootstrap routes SDK diagnostics to stderr (regression test).
  it('OTEL_LOG_LEVEL=debug: SDK diagnostics go to stderr, stdout keeps only the app JSON lines', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('log-level-debug');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_LOG_LEVEL: 'debug' } });

    await request(`${app.url}/log?marker=debug`);
    await receiver.waitForSpans(isHttpServerSpan('/log'));
    expect(nonJsonStdoutLines(app.stdout())).toEqual([]);
  });
});
