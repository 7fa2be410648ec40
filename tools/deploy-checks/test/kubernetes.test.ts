import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageProblems, restrictedProblems, schemaProblems, unknownFieldProblems } from './support/k8s-checks';
import { kustomizationDir, KUSTOMIZATIONS, podSpecOf, renderKustomization, type K8sObject } from './support/kustomize';
import { APPS, clone, isObject, keepsState, parseYamlDocuments, readRepoFile, runtimeEnv, STATE_DIR } from './support/repo';

type Container = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const rendered = Object.fromEntries(KUSTOMIZATIONS.map((name) => [name, renderKustomization(kustomizationDir(name))])) as Record<string, K8sObject[]>;
const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const containerOf = (o: K8sObject) => (podSpecOf(o)!['containers'] as Container[])[0]!;
const envValue = (objects: K8sObject[], deployment: K8sObject, name: string): string | undefined => {
  const container = containerOf(deployment);
  const explicit = (container['env'] as Array<{ name: string; value?: string }>).find((e) => e.name === name);
  if (explicit) return explicit.value;
  for (const from of container['envFrom'] ?? []) {
    const cm = find(objects, 'ConfigMap', from.configMapRef.name) as unknown as { data: Record<string, string> };
    if (cm?.data[name] !== undefined) return cm.data[name];
  }
  return undefined;
};

/** Everything the manifests of one rendered kustomization must satisfy, as problems. */
async function manifestProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    problems.push(...(await schemaProblems(object)), ...unknownFieldProblems(object), ...restrictedProblems(object));
    if (object.kind !== 'Namespace' && object.metadata.namespace !== 'mcp-system') problems.push(`${object.kind}/${object.metadata.name}: namespace ${object.metadata.namespace}`);
  }
  problems.push(...imageProblems(objects));
  const ns = objects.find((o) => o.kind === 'Namespace');
  if (ns?.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') problems.push('namespace does not enforce Pod Security "restricted"');

  for (const app of APPS) {
    const deployment = find(objects, 'Deployment', app.name);
    if (!deployment) {
      problems.push(`Deployment/${app.name} missing`);
      continue;
    }
    const pod = podSpecOf(deployment)!;
    const c = containerOf(deployment);
    if (!find(objects, 'Service', app.name)) problems.push(`Service/${app.name} missing`);
    if (!(c['envFrom'] ?? []).some((e: Container) => find(objects, 'ConfigMap', e.configMapRef?.name))) problems.push(`${app.name}: no ConfigMap in envFrom`);
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory) problems.push(`${app.name}: resources requests/limits incomplete`);
    // The app's own facts (deploy/apps.json, in the image's /app/app.env): the manifests may repeat them, not contradict them.
    const effective = (name: string) => envValue(objects, deployment, name) ?? runtimeEnv(app)[name];
    for (const [name, value] of Object.entries(app.telemetryEnv)) if (effective(name) !== value) problems.push(`${app.name}: ${name} is ${effective(name)}, deploy/apps.json says ${value}`);
    if (effective('PORT') !== String(app.port)) problems.push(`${app.name}: PORT is ${effective('PORT')}, deploy/apps.json says ${app.port}`);
    const httpPort = (c['ports'] ?? []).find((p: Container) => p.name === 'http' || p.name === 'grpc');
    if (httpPort?.containerPort !== app.port) problems.push(`${app.name}: container port ${httpPort?.containerPort} is not ${app.port}`);
    for (const other of APPS) {
      for (const name of ['MODEL_ROUTER_ADDRESS', 'COLLABORATION_HUB_URL', 'WORKFLOW_ORCHESTRATOR_URL']) {
        const match = new RegExp(`(^|/)${other.name}:(\\d+)`).exec(envValue(objects, deployment, name) ?? '');
        if (match && Number(match[2]) !== other.port) problems.push(`${app.name}: ${name} is not ${other.name}'s port ${other.port}`);
      }
    }
    if (app.name === 'model-router') {
      if (!c.livenessProbe?.grpc || !c.readinessProbe?.grpc) problems.push('model-router: liveness/readiness are not native gRPC probes');
      if (c.readinessProbe?.grpc?.service !== 'mcp.model_router.v1.ModelRouter') problems.push('model-router: readiness does not check the ModelRouter service');
    } else {
      if (c.livenessProbe?.httpGet?.path !== '/health') problems.push(`${app.name}: liveness is not GET /health`);
      if (c.readinessProbe?.httpGet?.path !== '/ready') problems.push(`${app.name}: readiness is not GET /ready`);
    }
    // Shutdown: the grace period covers preStop + the app's drain + the telemetry flush.
    const preStop = Number(c.lifecycle?.preStop?.sleep?.seconds ?? 0);
    if (preStop <= 0) problems.push(`${app.name}: no preStop sleep`);
    const appMs = Number(envValue(objects, deployment, 'APP_SHUTDOWN_TIMEOUT_MS') ?? 10_000);
    const otelMs = Number(envValue(objects, deployment, 'OTEL_NODE_SHUTDOWN_TIMEOUT_MS') ?? 5_000);
    const grace = Number(pod['terminationGracePeriodSeconds'] ?? 30);
    if (!(grace > preStop + (appMs + otelMs) / 1000)) problems.push(`${app.name}: terminationGracePeriodSeconds ${grace} ≤ preStop ${preStop} + ${appMs} ms + ${otelMs} ms`);
    // Metrics annotations point at a port the container declares and the preload serves.
    const annotations = (deployment['spec'] as Container)['template'].metadata.annotations ?? {};
    const metricsPort = Number(annotations['prometheus.io/port']);
    if (annotations['prometheus.io/scrape'] !== 'true' || !(c['ports'] ?? []).some((p: Container) => p.containerPort === metricsPort)) problems.push(`${app.name}: prometheus.io/port ${metricsPort} is not a container port`);
    if (!(envValue(objects, deployment, 'OTEL_METRICS_EXPORTER') ?? '').split(',').includes('prometheus')) problems.push(`${app.name}: the annotated metrics endpoint is not served (OTEL_METRICS_EXPORTER lacks prometheus)`);
    if (String(envValue(objects, deployment, 'OTEL_EXPORTER_PROMETHEUS_PORT') ?? '9464') !== String(metricsPort)) problems.push(`${app.name}: OTEL_EXPORTER_PROMETHEUS_PORT is not the annotated port`);
    // The exporter binds localhost by default: the annotated port must be bound on every interface to be scraped.
    const metricsHost = envValue(objects, deployment, 'OTEL_EXPORTER_PROMETHEUS_HOST');
    if (!['0.0.0.0', '::'].includes(metricsHost ?? '')) problems.push(`${app.name}: OTEL_EXPORTER_PROMETHEUS_HOST is ${metricsHost ?? 'unset (localhost)'}: Prometheus cannot reach the annotated port`);
    if (envValue(objects, deployment, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== 'http://otel-collector:4318') problems.push(`${app.name}: does not export to the Collector`);
    if (!(c['volumeMounts'] ?? []).some((m: Container) => m.mountPath === '/tmp')) problems.push(`${app.name}: no writable /tmp for the compile cache`);
    if (keepsState(app) && !(c['volumeMounts'] ?? []).some((m: Container) => m.mountPath === STATE_DIR)) problems.push(`${app.name}: keeps state in ${STATE_DIR} (deploy/apps.json imageEnv) but mounts no volume there`);
    if (envValue(objects, deployment, 'NODE_COMPILE_CACHE') !== '/tmp/node-compile-cache') problems.push(`${app.name}: NODE_COMPILE_CACHE is not under /tmp`);
    // Secrets only through secretKeyRef, never as literal values of the secret variables.
    for (const name of ['REDIS_URL', 'DATABASE_URL', 'MONGODB_URL', 'INTERNAL_API_SECRET', 'USER_HASH_KEY']) {
      const entry = (c['env'] as Container[]).find((e) => e.name === name);
      if (entry && !entry.valueFrom?.secretKeyRef) problems.push(`${app.name}: ${name} is not from a secretKeyRef`);
    }
  }
  const frontend = find(objects, 'Deployment', 'frontend');
  if (frontend && (frontend['spec'] as Container)['replicas'] !== 3) problems.push('frontend: not 3 replicas');
  for (const name of ['otel-collector', 'jaeger', 'loki']) if (!find(objects, 'Deployment', name) || !find(objects, 'Service', name)) problems.push(`${name} missing`);
  return problems;
}

describe('Kubernetes manifests (kustomize base and overlays)', () => {
  for (const name of KUSTOMIZATIONS) {
    it(`${name}: valid against the Kubernetes v1.36 schemas (kubernetes-models), Pod Security "restricted" + read-only root, probes, shutdown, metrics, secrets`, async () => {
      expect(await manifestProblems(rendered[name]!)).toEqual([]);
    });
  }

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  it.skipIf(kubectl.status !== 0)('renders exactly as `kubectl kustomize` does (skipped without kubectl)', () => {
    for (const name of KUSTOMIZATIONS) {
      const out = spawnSync('kubectl', ['kustomize', kustomizationDir(name)], { encoding: 'utf8' });
      expect(out.status, out.stderr).toBe(0);
      const theirs = parseYamlDocuments(out.stdout, `kubectl kustomize ${name}`) as K8sObject[];
      const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
      const sort = (list: K8sObject[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sort(rendered[name]!)).toEqual(sort(theirs));
    }
  });

  it('local: every Secret and key a secretKeyRef names exists, in the overlay or created as the README says', () => {
    const objects = rendered['overlays/local']!;
    const secrets = new Map(objects.filter((o) => o.kind === 'Secret').map((s) => [s.metadata.name, Object.keys((s as unknown as { stringData: object }).stringData)]));
    // The apps' own secrets are never in git: the README's `kubectl create secret generic` makes them.
    for (const command of readRepoFile('README.md').matchAll(/create secret generic (\S+)((?:\s+\\?\s*--from-literal=[\w-]+=(?:"[^"]*"|\S+))+)/g)) {
      secrets.set(command[1]!, [...command[2]!.matchAll(/--from-literal=([\w-]+)=/g)].map((m) => m[1]!));
    }
    expect(secrets.get('mcp-app-secrets')).toEqual(['internal-api-secret', 'user-hash-key']);
    for (const object of objects) {
      for (const c of [...((podSpecOf(object)?.['containers'] as Container[]) ?? [])]) {
        for (const e of c['env'] ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) expect(secrets.get(ref.name), `${object.metadata.name} ${e.name}`).toContain(ref.key);
        }
      }
    }
  });

  it('otel-operator: the pods are annotated for inject-nodejs and our preload is emptied, so only one SDK runs', () => {
    const objects = rendered['overlays/otel-operator']!;
    for (const app of APPS) {
      const deployment = find(objects, 'Deployment', app.name);
      expect((deployment['spec'] as Container)['template'].metadata.annotations['instrumentation.opentelemetry.io/inject-nodejs']).toBe('true');
      expect(containerOf(deployment)['env'][0]).toEqual({ name: 'NODE_OPTIONS', value: '' });
    }
    expect(find(rendered['base']!, 'Deployment', 'frontend') && containerOf(find(rendered['base']!, 'Deployment', 'frontend'))['env'][0].value).toBe('--require @mcp/otel-bootstrap/register');
    expect(objects.filter((o) => o.kind === 'Instrumentation')).toHaveLength(1);
  });
});

describe('the Kubernetes checks fail on broken variants', () => {
  const base = rendered['base']!;
  const frontendC = (objects: K8sObject[]) => containerOf(find(objects, 'Deployment', 'frontend'));
  const rows: Array<[string, (o: K8sObject[]) => void, RegExp]> = [
    ['a schema type error', (o) => ((find(o, 'Deployment', 'jaeger')['spec'] as Container)['replicas'] = 'one'), /Deployment\/jaeger: .*replicas/],
    ['a misspelt field', (o) => (frontendC(o)['securityContex'] = {}), /unknown field securityContex/],
    ['runAsNonRoot missing', (o) => (delete frontendC(o)['securityContext'].runAsNonRoot, delete (podSpecOf(find(o, 'Deployment', 'frontend'))!['securityContext'] as Container)['runAsNonRoot']), /runAsNonRoot is not true/],
    ['privilege escalation allowed', (o) => (frontendC(o)['securityContext'].allowPrivilegeEscalation = true), /allowPrivilegeEscalation is not false/],
    ['capabilities not dropped', (o) => (frontendC(o)['securityContext'].capabilities = { drop: ['NET_RAW'] }), /do not drop ALL/],
    ['an added capability', (o) => (frontendC(o)['securityContext'].capabilities.add = ['SYS_ADMIN']), /adds capability SYS_ADMIN/],
    ['no seccomp profile', (o) => (delete frontendC(o)['securityContext'].seccompProfile, delete (podSpecOf(find(o, 'Deployment', 'frontend'))!['securityContext'] as Container)['seccompProfile']), /seccompProfile/],
    ['a writable root filesystem', (o) => (frontendC(o)['securityContext'].readOnlyRootFilesystem = false), /readOnlyRootFilesystem is not true/],
    ['hostNetwork', (o) => (podSpecOf(find(o, 'Deployment', 'jaeger'))!['hostNetwork'] = true), /hostNetwork/],
    ['a hostPath volume', (o) => (podSpecOf(find(o, 'Deployment', 'jaeger'))!['volumes'] as Container[]).push({ name: 'host', hostPath: { path: '/var/run' } }), /type hostPath/],
    ['a privileged container', (o) => (frontendC(o)['securityContext'].privileged = true), /privileged/],
    ['an unpinned image', (o) => (frontendC(o)['image'] = 'mcp-system/frontend'), /no tag/],
    ['an HTTP probe on model-router', (o) => (containerOf(find(o, 'Deployment', 'model-router'))['readinessProbe'] = { httpGet: { path: '/ready', port: 50051 } }), /not native gRPC probes/],
    ['a grace period shorter than the shutdown', (o) => (podSpecOf(find(o, 'Deployment', 'frontend'))!['terminationGracePeriodSeconds'] = 15), /terminationGracePeriodSeconds 15/],
    ['no preStop', (o) => delete frontendC(o)['lifecycle'], /no preStop/],
    ['an annotation pointing at no port', (o) => ((find(o, 'Deployment', 'frontend')['spec'] as Container)['template'].metadata.annotations['prometheus.io/port'] = '3000x'), /prometheus.io\/port/],
    ['metrics annotated but not served', (o) => ((find(o, 'ConfigMap', 'frontend-config') as unknown as { data: Record<string, string> }).data['OTEL_METRICS_EXPORTER'] = 'otlp'), /lacks prometheus/],
    ['the hub without its instrumentation opt-out', (o) => ((find(o, 'ConfigMap', 'collaboration-hub-config') as unknown as { data: Record<string, string> }).data['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] = 'pino'), /collaboration-hub: OTEL_NODE_DISABLED_INSTRUMENTATIONS is pino, deploy\/apps.json says socket.io/],
    ['a PORT other than the facts', (o) => ((find(o, 'ConfigMap', 'frontend-config') as unknown as { data: Record<string, string> }).data['PORT'] = '8080'), /frontend: PORT is 8080/],
    ['a container port other than the facts', (o) => ((frontendC(o)['ports'] as Container[])[0]!.containerPort = 8080), /frontend: container port 8080 is not 3000/],
    ['an address with another port', (o) => ((find(o, 'ConfigMap', 'frontend-config') as unknown as { data: Record<string, string> }).data['MODEL_ROUTER_ADDRESS'] = 'model-router:5000'), /frontend: MODEL_ROUTER_ADDRESS is not model-router's port 50051/],
    ['the metrics endpoint on localhost', (o) => delete (find(o, 'ConfigMap', 'model-router-config') as unknown as { data: Record<string, string> }).data['OTEL_EXPORTER_PROMETHEUS_HOST'], /model-router: OTEL_EXPORTER_PROMETHEUS_HOST is unset \(localhost\)/],
    ['the metrics endpoint on loopback', (o) => ((find(o, 'ConfigMap', 'frontend-config') as unknown as { data: Record<string, string> }).data['OTEL_EXPORTER_PROMETHEUS_HOST'] = '127.0.0.1'), /frontend: OTEL_EXPORTER_PROMETHEUS_HOST is 127.0.0.1/],
    ['the frontend outbox on the read-only root', (o) => (frontendC(o)['volumeMounts'] = (frontendC(o)['volumeMounts'] as Container[]).filter((m) => m.mountPath !== '/var/lib/mcp')), /frontend: keeps state in \/var\/lib\/mcp/],
    ['a secret as a literal', (o) => ((frontendC(o)['env'] as Container[]).find((e) => e.name === 'DATABASE_URL')!.valueFrom = undefined), /DATABASE_URL is not from a secretKeyRef/],
    ['frontend with one replica', (o) => ((find(o, 'Deployment', 'frontend')['spec'] as Container)['replicas'] = 1), /not 3 replicas/],
    ['another namespace', (o) => (find(o, 'Service', 'jaeger').metadata.namespace = 'default'), /Service\/jaeger: namespace default/],
    ['an unknown kind', (o) => o.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'mcp-system' } } as K8sObject), /Widget is not a Kubernetes API kind/],
    ['an Instrumentation with a typo', (o) => o.push({ apiVersion: 'opentelemetry.io/v1alpha1', kind: 'Instrumentation', metadata: { name: 'x', namespace: 'mcp-system' }, spec: { sampler: { type: 'always' } } } as unknown as K8sObject), /Instrumentation\/x/],
  ];
  it.each(rows)('%s', async (_name, mutate, problem) => {
    const broken = clone(base);
    mutate(broken);
    expect((await manifestProblems(broken)).join('\n')).toMatch(problem);
  });

  it('the renderer refuses kustomization fields it does not implement rather than ignoring them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: []\ncommonLabels:\n  a: b\n');
    expect(() => renderKustomization(dir)).toThrow(/"commonLabels" is not supported/);
    expect(isObject({})).toBe(true);
  });
});
