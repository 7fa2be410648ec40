import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

// The seed's Dockerfile line, verbatim: Docker does not expand $(HOSTNAME), so the bootstrap must.
const SEED_RESOURCE_ATTRIBUTES = 'service.namespace=mcp-system,deployment.environment=production,service.instance.id=$(HOSTNAME)';

describe('resource attributes from the environment', () => {
  it.each([
    { label: 'HOSTNAME set (a pod name)', HOSTNAME: 'frontend-7d9c-abcde', instanceId: 'frontend-7d9c-abcde' },
    { label: 'HOSTNAME unset: the machine host name', HOSTNAME: undefined, instanceId: hostname() },
  ])('OTEL_RESOURCE_ATTRIBUTES of the seed, $label', async ({ HOSTNAME, instanceId }) => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('resource');
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_RESOURCE_ATTRIBUTES: SEED_RESOURCE_ATTRIBUTES, OTEL_SERVICE_VERSION: '1.4.2', HOSTNAME },
    });

    await request(`${app.url}/users/1`);
    const span = first(await receiver.waitForSpans(isHttpServerSpan('/users/1')));

    expect(span.resource).toMatchObject({
      'service.name': serviceName,
      'service.version': '1.4.2',
      'service.namespace': 'mcp-system',
      'deployment.environment': 'production',
      'deployment.environment.name': 'production',
      'service.instance.id': instanceId,
      'telemetry.sdk.language': 'nodejs',
      'process.runtime.name': 'nodejs',
    });
    expect(JSON.stringify(span.resource)).not.toContain('$(');
    // A credential on the command line must not ride on every span.
    expect(span.resource).not.toHaveProperty('process.command_args');
    expect(span.resource).not.toHaveProperty('process.command_line');
    expect(span.resource).not.toHaveProperty('process.command');
    // OTEL_SERVICE_VERSION is the seed's, not the specification's: it works, with a note.
    expect(app.stderr()).toMatch(/OTEL_SERVICE_VERSION is not a standard variable/);
  });

  it('OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES, and metrics and logs carry the same resource', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('resource-name');
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes,service.namespace=mcp-system' },
    });

    await request(`${app.url}/log?marker=resource`);
    const span = first(await receiver.waitForSpans(isHttpServerSpan('/log')));
    const log = first(await receiver.waitForLogs((record) => record.serviceName === serviceName));
    const metric = await receiver.waitForMetric('http.server.request.duration', { predicate: (point) => point.serviceName === serviceName });

    for (const resource of [span.resource, log.resource, metric.resource]) {
      expect(resource).toMatchObject({ 'service.name': serviceName, 'service.namespace': 'mcp-system' });
    }
  });
});
