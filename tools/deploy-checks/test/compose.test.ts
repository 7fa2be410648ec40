import { describe, expect, it } from 'vitest';
import { composeProblems, PUBLISHED_PORTS } from './support/compose-checks';
import { clone, parseYaml, readRepoFile } from './support/repo';

const compose = parseYaml(readRepoFile('docker-compose.yml'), 'docker-compose.yml') as { services: Record<string, Record<string, unknown>> };

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema, every service has a healthcheck and a pinned image, apps know only the Collector', () => {
    expect(composeProblems(compose)).toEqual([]);
  });

  it('publishes only the frontend, the hub and the UIs, each on 127.0.0.1 (the README table lists the same)', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) => ((service['ports'] as string[]) ?? []).map((port) => `${name} ${port.split(' ')[0]}`));
    expect(published.sort()).toEqual(Object.entries(PUBLISHED_PORTS).flatMap(([name, ports]) => ports.map((port) => `${name} ${port}`)).sort());
    const readme = readRepoFile('README.md');
    const table = readme.slice(readme.indexOf('### What is exposed where'));
    for (const ports of Object.values(PUBLISHED_PORTS)) for (const port of ports) expect(table).toContain(port.split(':').slice(0, 2).join(':'));
  });

  it('runs Prometheus and Grafana only in the metrics profile', () => {
    expect(compose.services['prometheus']?.['profiles']).toEqual(['metrics']);
    expect(compose.services['grafana']?.['profiles']).toEqual(['metrics']);
  });

  it('mounts the Collector and Jaeger configs this repository checks', () => {
    expect(JSON.stringify(compose.services['otel-collector']?.['volumes'])).toContain('./deploy/otel-collector/config.yaml');
    expect(JSON.stringify(compose.services['jaeger']?.['volumes'])).toContain('./deploy/jaeger/config.yaml');
  });
});

describe('the compose checks fail on broken variants', () => {
  type Services = Record<string, Record<string, unknown>>;
  const rows: Array<[string, (s: Services) => void, RegExp]> = [
    ['a service without healthcheck', (s) => delete s['redis']!['healthcheck'], /redis: no healthcheck/],
    ['a disabled healthcheck', (s) => (s['jaeger']!['healthcheck'] = { disable: true }), /jaeger: no healthcheck/],
    ['an image without tag', (s) => (s['redis']!['image'] = 'redis'), /redis: image redis: no tag/],
    ['a latest image', (s) => (s['jaeger']!['image'] = 'jaegertracing/jaeger:latest'), /tag "latest"/],
    ['a built service without image tag', (s) => (s['frontend']!['image'] = 'mcp-system/frontend'), /frontend: image .* no tag/],
    ['an app exporting straight to Jaeger', (s) => ((s['model-router']!['environment'] as Record<string, string>)['OTEL_EXPORTER_OTLP_ENDPOINT'] = 'http://jaeger:4318'), /model-router: OTEL_EXPORTER_OTLP_ENDPOINT/],
    ['a per-signal endpoint past the Collector', (s) => ((s['frontend']!['environment'] as Record<string, string>)['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = 'http://jaeger:4318/v1/traces'), /bypasses the Collector/],
    ['depends_on as a list', (s) => (s['load-generator']!['depends_on'] = ['frontend']), /depends_on is a list/],
    ['a dependency only started', (s) => (s['frontend']!['depends_on'] = { ...(s['frontend']!['depends_on'] as object), redis: { condition: 'service_started' } }), /redis with condition service_started/],
    ['waiting for health that is never checked', (s) => delete s['postgres']!['healthcheck'], /waits for postgres to be healthy, but postgres has no healthcheck/],
    ['a dependency on a profile service', (s) => (s['frontend']!['depends_on'] = { ...(s['frontend']!['depends_on'] as object), prometheus: { condition: 'service_healthy' } }), /only runs in profile/],
    ['a key the Compose spec does not know', (s) => (s['redis']!['healthchek'] = {}), /schema: .*additionalProperties|schema: .*must NOT have additional properties/],
    ['a wrong type', (s) => (s['redis']!['ports'] = 'not-a-list'), /schema:/],
    ['MongoDB without replica set', (s) => (s['mongodb']!['command'] = ['mongod', '--bind_ip_all']), /not started as replica set/],
    ['a short stop grace period', (s) => (s['frontend']!['stop_grace_period'] = '10s'), /stop_grace_period 10s/],
    ['a data store published', (s) => (s['redis']!['ports'] = ['127.0.0.1:6379:6379']), /redis: publishes 127.0.0.1:6379:6379, expected nothing/],
    ['the Collector OTLP port published', (s) => (s['otel-collector']!['ports'] = ['4318:4318']), /otel-collector: publishes 0.0.0.0:4318:4318/],
    ['an internal service published (long syntax)', (s) => (s['workflow-orchestrator']!['ports'] = [{ target: 3001, published: 3001, host_ip: '127.0.0.1' }]), /workflow-orchestrator: publishes 127.0.0.1:3001:3001, expected nothing/],
    ['the frontend on every interface', (s) => (s['frontend']!['ports'] = ['3000:3000']), /frontend: port 0.0.0.0:3000:3000 is published on every interface/],
    ['Jaeger UI on 0.0.0.0', (s) => (s['jaeger']!['ports'] = ['0.0.0.0:16686:16686']), /jaeger: port 0.0.0.0:16686:16686 is published on every interface/],
    ['a committed secret default', (s) => ((s['collaboration-hub']!['environment'] as Record<string, string>)['INTERNAL_API_SECRET'] = '${INTERNAL_API_SECRET:-compose-internal-secret}'), /collaboration-hub: INTERNAL_API_SECRET is .* not a required/],
    ['a literal secret', (s) => ((s['frontend']!['environment'] as Record<string, string>)['USER_HASH_KEY'] = 'some-key'), /frontend: USER_HASH_KEY is "some-key"/],
    ['a Grafana admin password default', (s) => ((s['grafana']!['environment'] as Record<string, string>)['GF_SECURITY_ADMIN_PASSWORD'] = '${GRAFANA_ADMIN_PASSWORD:-admin}'), /grafana: GF_SECURITY_ADMIN_PASSWORD/],
    ['Grafana anonymous admin', (s) => ((s['grafana']!['environment'] as Record<string, string>)['GF_AUTH_ANONYMOUS_ORG_ROLE'] = 'Admin'), /grafana: anonymous users get role Admin/],
    ['the hub instrumented differently from its facts', (s) => ((s['collaboration-hub']!['environment'] as Record<string, string>)['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] = ''), /collaboration-hub: OTEL_NODE_DISABLED_INSTRUMENTATIONS is , deploy\/apps.json says socket.io/],
    ['a service name other than the app', (s) => ((s['model-router']!['environment'] as Record<string, string>)['OTEL_SERVICE_NAME'] = 'router'), /model-router: OTEL_SERVICE_NAME is router/],
    ['an address with another port', (s) => ((s['frontend']!['environment'] as Record<string, string>)['MODEL_ROUTER_ADDRESS'] = 'model-router:50052'), /not model-router's port 50051/],
    ['a port mapping to another port', (s) => (s['frontend']!['ports'] = ['127.0.0.1:3000:3005']), /frontend: ports .* do not lead to the app's port 3000/],
    ['an image built from elsewhere', (s) => (s['frontend']!['build'] = { context: '.', dockerfile: 'apps/frontend/Dockerfile' }), /frontend: not built from deploy\/docker\/Dockerfile/],
    ['a healthcheck with a fixed target', (s) => (s['frontend']!['healthcheck'] = { test: ['CMD', '/usr/bin/env', 'NODE_OPTIONS=', 'node', '/app/healthcheck.cjs', 'http://127.0.0.1:3000/health'] }), /does not probe the app's own target/],
    ['the frontend outbox without a volume', (s) => delete s['frontend']!['volumes'], /frontend: keeps state in \/var\/lib\/mcp .* mounts no volume there/],
    ['an app healthcheck with curl', (s) => (s['frontend']!['healthcheck'] = { test: ['CMD', 'curl', '-f', 'http://127.0.0.1:3000/health'] }), /curl\/wget/],
  ];
  it.each(rows)('%s', (_name, mutate, problem) => {
    const broken = clone(compose) as unknown as { services: Services };
    mutate(broken.services);
    expect(composeProblems(broken).join('\n')).toMatch(problem);
  });
});
