import { describe, expect, it } from 'vitest';
import { kustomizationDir, KUSTOMIZATIONS, type K8sObject } from './support/kustomize';
import { renderKustomization } from './support/kustomize';
import { allowedEdges, callGraph, policyProblems, scrapeEdges, workloadsOf } from './support/network-policies';
import { clone } from './support/repo';

const rendered = Object.fromEntries(KUSTOMIZATIONS.map((name) => [name, renderKustomization(kustomizationDir(name))])) as Record<string, K8sObject[]>;

/**
 * What may connect besides the calls the manifests configure: the frontend from anyone (the one
 * public edge), Prometheus to every announced scrape port, and a MongoDB replica-set member to its own
 * host name (rs.initiate's member address, which mongod itself dials).
 */
function expectedEdges(objects: K8sObject[]): string[] {
  const names = new Set(workloadsOf(objects).map((w) => w.name));
  const frontendPort = workloadsOf(objects).find((w) => w.name === 'frontend')!.namedPorts.get('http');
  return [...callGraph(objects), ...scrapeEdges(objects), `anyone -> frontend:${frontendPort}`, ...(names.has('mongodb') ? ['mongodb -> mongodb:27017'] : [])].sort();
}

describe('NetworkPolicies', () => {
  for (const name of KUSTOMIZATIONS) {
    it(`${name}: default deny, every policy selects real pods and real ports, and the allowed edges are exactly the call graph`, () => {
      const objects = rendered[name]!;
      expect(policyProblems(objects)).toEqual([]);
      const allowed = allowedEdges(objects);
      expect(allowed).toEqual(expectedEdges(objects));
      // The figure of RELIABILITY.md.
      console.log(`${name}: ${objects.filter((o) => o.kind === 'NetworkPolicy').length} policies, ${allowed.length} allowed edges = ${callGraph(objects).length} configured calls + the public, scrape and replica-set edges`);
    });
  }

  it('the call graph read from the manifests is the one the apps’ clients make', () => {
    const calls = callGraph(rendered['overlays/local']!);
    expect(calls).toEqual(
      [
        'frontend -> workflow-orchestrator:3001', // WORKFLOW_ORCHESTRATOR_URL (orchestrator.client.ts)
        'frontend -> model-router:50051', // MODEL_ROUTER_ADDRESS (model-router.gateway.ts)
        'workflow-orchestrator -> model-router:50051', // model_inference steps
        'workflow-orchestrator -> collaboration-hub:3002', // progress events (COLLABORATION_HUB_URL)
        'frontend -> otel-collector:4318',
        'workflow-orchestrator -> otel-collector:4318',
        'model-router -> otel-collector:4318',
        'collaboration-hub -> otel-collector:4318',
        'frontend -> otel-collector:4319', // OTLP_PROXY_TARGET_URL: the page's spans, untrusted pipeline
        'otel-collector -> jaeger:4317',
        'otel-collector -> loki:3100', // the logs pipeline's otlp_http/loki exporter
        'frontend -> redis:6379',
        'collaboration-hub -> redis:6379',
        'frontend -> postgres:5432',
        'workflow-orchestrator -> mongodb:27017',
        'mongodb-init-replica-set -> mongodb:27017',
      ].sort(),
    );
  });
});

describe('the NetworkPolicy checks fail on broken variants', () => {
  type Policy = K8sObject & { spec: { podSelector: Record<string, unknown>; ingress?: Array<Record<string, any>> } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const policy = (objects: K8sObject[], name: string) => objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name) as Policy;
  const rows: Array<[string, (o: K8sObject[]) => void, RegExp]> = [
    ['no default deny', (o) => o.splice(o.indexOf(policy(o, 'default-deny-ingress')), 1), /no default-deny ingress policy|anyone -> mongodb-init-replica-set/],
    ['a policy for a label no pod has', (o) => (policy(o, 'jaeger-ingress').spec.podSelector = { matchLabels: { 'app.kubernetes.io/name': 'jaeger-typo' } }), /jaeger-ingress: podSelector selects no pod/],
    ['a peer no pod matches', (o) => policy(o, 'model-router-ingress').spec.ingress![0]!['from'].push({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'nobody' } } }), /model-router-ingress: from .* matches no pod/],
    ['a port name the pod does not have', (o) => (policy(o, 'collaboration-hub-ingress').spec.ingress![0]!['ports'] = [{ port: 'grpc', protocol: 'TCP' }]), /port grpc is not a container port of collaboration-hub/],
    ['the frontend allowed to the hub (no such call)', (o) => policy(o, 'collaboration-hub-ingress').spec.ingress![0]!['from'].push({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } } }), /frontend -> collaboration-hub:3002/],
    ['the orchestrator cut off from the model-router', (o) => policy(o, 'model-router-ingress').spec.ingress![0]!['from'].pop(), /workflow-orchestrator -> model-router:50051/],
    ['Redis open to every pod', (o) => (policy(o, 'redis-ingress').spec.ingress![0]!['from'] = [{ namespaceSelector: {} }]), /cluster -> redis:6379/],
    ['the Collector open to everyone', (o) => delete policy(o, 'otel-collector-ingress').spec.ingress![0]!['from'], /anyone -> otel-collector:4318/],
    ['the Jaeger UI opened', (o) => policy(o, 'jaeger-ingress').spec.ingress!.push({ ports: [{ port: 'ui' }] }), /anyone -> jaeger:16686/],
    ['a new call without its policy edge', (o) => ((o.find((x) => x.kind === 'ConfigMap' && x.metadata.name === 'frontend-config') as unknown as { data: Record<string, string> }).data['EXTRA'] = 'http://collaboration-hub:3002'), /frontend -> collaboration-hub:3002/],
  ];
  it.each(rows)('%s', (_name, mutate, problem) => {
    const broken = clone(rendered['overlays/local']!);
    mutate(broken);
    const report = [...policyProblems(broken), ...allowedEdges(broken).filter((e) => !expectedEdges(broken).includes(e)), ...expectedEdges(broken).filter((e) => !allowedEdges(broken).includes(e))].join('\n');
    expect(report).toMatch(problem);
  });
});
