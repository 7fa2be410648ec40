import { podSpecOf, type K8sObject } from './kustomize';

// What the NetworkPolicies of a rendered kustomization allow, and what the workloads really call,
// both as edges `caller -> workload:containerPort`. A caller is a workload's name, `anyone` (a rule
// without `from`), `cluster` (any pod of any namespace) or `ipBlock <cidr>`.

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string } };
type Rule = { from?: Peer[]; ports?: Array<{ port?: number | string; protocol?: string }> };
type PolicySpec = { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[] };

export interface Workload {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Container ports by name, and every number. */
  namedPorts: Map<string, number>;
  ports: Set<number>;
  /** Every string the workload's containers are configured with: env (ConfigMaps, Secrets, values), args, mounted ConfigMaps. */
  settings: string[];
}

const byName = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as (K8sObject & { data?: Record<string, string>; stringData?: Record<string, string> }) | undefined;

function secretValue(objects: K8sObject[], name: string, key: string): string | undefined {
  const secret = byName(objects, 'Secret', name);
  if (secret?.stringData?.[key] !== undefined) return secret.stringData[key];
  const encoded = secret?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}

/** The pod templates of Deployments, StatefulSets and Jobs, with what they are configured with. */
export function workloadsOf(objects: K8sObject[]): Workload[] {
  const workloads: Workload[] = [];
  for (const object of objects) {
    const pod = podSpecOf(object);
    if (!pod) continue;
    const template = (object['spec'] as { template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } }).template;
    const namedPorts = new Map<string, number>();
    const ports = new Set<number>();
    const settings: string[] = [];
    for (const container of [...((pod['initContainers'] as Array<Record<string, any>>) ?? []), ...((pod['containers'] as Array<Record<string, any>>) ?? [])]) { // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const port of container['ports'] ?? []) {
        ports.add(port.containerPort);
        if (port.name) namedPorts.set(port.name, port.containerPort);
      }
      settings.push(...(container['command'] ?? []), ...(container['args'] ?? []));
      for (const from of container['envFrom'] ?? []) {
        if (from.configMapRef) settings.push(...Object.values(byName(objects, 'ConfigMap', from.configMapRef.name)?.data ?? {}));
        if (from.secretRef) settings.push(...Object.values(byName(objects, 'Secret', from.secretRef.name)?.stringData ?? {}));
      }
      for (const entry of container['env'] ?? []) {
        if (typeof entry.value === 'string') settings.push(entry.value);
        const ref = entry.valueFrom?.secretKeyRef ?? entry.valueFrom?.configMapKeyRef;
        if (entry.valueFrom?.secretKeyRef) settings.push(secretValue(objects, ref.name, ref.key) ?? '');
        if (entry.valueFrom?.configMapKeyRef) settings.push(byName(objects, 'ConfigMap', ref.name)?.data?.[ref.key] ?? '');
      }
    }
    for (const volume of (pod['volumes'] as Array<{ configMap?: { name: string } }>) ?? []) {
      if (volume.configMap) settings.push(...Object.values(byName(objects, 'ConfigMap', volume.configMap.name)?.data ?? {}));
    }
    workloads.push({ name: object.metadata.name, labels: template.metadata?.labels ?? {}, annotations: template.metadata?.annotations ?? {}, namedPorts, ports, settings });
  }
  return workloads;
}

/** Kubernetes label-selector semantics: every matchLabels pair and every expression; `{}` selects everything. */
export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const ok = operator === 'In' ? values.includes(labels[key] ?? '\u0000') : operator === 'NotIn' ? !values.includes(labels[key] ?? '\u0000') : operator === 'Exists' ? key in labels : operator === 'DoesNotExist' ? !(key in labels) : false;
    if (!ok) return false;
  }
  return true;
}

const policiesOf = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => ({ name: o.metadata.name, spec: o['spec'] as PolicySpec }));
const isIngress = (spec: PolicySpec) => (spec.policyTypes ?? ['Ingress']).includes('Ingress');

/** Policies that select no pod, peers that match no pod, ports the selected pods do not have; and a missing default deny. */
export function policyProblems(objects: K8sObject[]): string[] {
  const workloads = workloadsOf(objects);
  const problems: string[] = [];
  const policies = policiesOf(objects);
  if (!policies.some((p) => isIngress(p.spec) && Object.keys(p.spec.podSelector ?? {}).length === 0 && (p.spec.ingress ?? []).length === 0)) problems.push('no default-deny ingress policy (podSelector {}, no rules)');
  for (const { name, spec } of policies) {
    const targets = workloads.filter((w) => selects(spec.podSelector, w.labels));
    if (targets.length === 0) problems.push(`NetworkPolicy/${name}: podSelector selects no pod`);
    for (const rule of spec.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        if (peer.podSelector && !peer.namespaceSelector && !workloads.some((w) => selects(peer.podSelector, w.labels))) problems.push(`NetworkPolicy/${name}: from ${JSON.stringify(peer.podSelector)} matches no pod`);
      }
      for (const port of rule.ports ?? []) {
        for (const target of targets) {
          if (typeof port.port === 'string' ? !target.namedPorts.has(port.port) : port.port !== undefined && !target.ports.has(port.port)) problems.push(`NetworkPolicy/${name}: port ${String(port.port)} is not a container port of ${target.name}`);
        }
      }
    }
  }
  return problems;
}

/** Every edge the ingress policies allow. A pod no ingress policy selects admits everyone on every port (`anyone -> name:*`). */
export function allowedEdges(objects: K8sObject[]): string[] {
  const workloads = workloadsOf(objects);
  const policies = policiesOf(objects).filter((p) => isIngress(p.spec));
  const edges = new Set<string>();
  for (const target of workloads) {
    const applying = policies.filter((p) => selects(p.spec.podSelector, target.labels));
    if (applying.length === 0) edges.add(`anyone -> ${target.name}:*`);
    for (const { spec } of applying) {
      for (const rule of spec.ingress ?? []) {
        const sources = rule.from === undefined || rule.from.length === 0 ? ['anyone'] : rule.from.flatMap((peer) => (peer.ipBlock ? [`ipBlock ${peer.ipBlock.cidr}`] : peer.namespaceSelector ? ['cluster'] : workloads.filter((w) => selects(peer.podSelector, w.labels)).map((w) => w.name)));
        const ports = rule.ports === undefined || rule.ports.length === 0 ? ['*'] : rule.ports.map((p) => String(typeof p.port === 'string' ? (target.namedPorts.get(p.port) ?? p.port) : (p.port ?? '*')));
        for (const source of sources) for (const port of ports) edges.add(`${source} -> ${target.name}:${port}`);
      }
    }
  }
  return [...edges].sort();
}

/**
 * The calls the workloads make, from what they are configured with: every `host:port` in their
 * settings whose host is a Service of the kustomization (`svc`, `svc.ns…`, or a StatefulSet pod's
 * `pod.svc`) becomes an edge to the pods that Service selects, at the container port its port targets.
 */
export function callGraph(objects: K8sObject[]): string[] {
  const workloads = workloadsOf(objects);
  const services = new Map(objects.filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, o['spec'] as { selector?: Record<string, string>; clusterIP?: string; ports: Array<{ port: number; targetPort?: number | string }> }]));
  const edges = new Set<string>();
  for (const caller of workloads) {
    for (const setting of caller.settings) {
      for (const match of setting.matchAll(/([a-z0-9][a-z0-9.-]*):(\d{2,5})\b/g)) {
        const labels = match[1]!.split('.');
        const serviceName = services.has(labels[0]!) ? labels[0]! : labels.length > 1 && services.get(labels[1]!)?.clusterIP === 'None' ? labels[1]! : undefined;
        if (serviceName === undefined) continue;
        const service = services.get(serviceName)!;
        const servicePort = service.ports.find((p) => p.port === Number(match[2]));
        if (!servicePort || !service.selector) continue;
        for (const target of workloads.filter((w) => Object.entries(service.selector!).every(([k, v]) => w.labels[k] === v))) {
          const targetPort = servicePort.targetPort ?? servicePort.port;
          edges.add(`${caller.name} -> ${target.name}:${typeof targetPort === 'string' ? (target.namedPorts.get(targetPort) ?? targetPort) : targetPort}`);
        }
      }
    }
  }
  return [...edges].sort();
}

/** Scrape targets the pods announce (`prometheus.io/scrape: "true"`, `prometheus.io/port`): Prometheus may run in any namespace. */
export function scrapeEdges(objects: K8sObject[]): string[] {
  return workloadsOf(objects)
    .filter((w) => w.annotations['prometheus.io/scrape'] === 'true')
    .map((w) => `cluster -> ${w.name}:${w.annotations['prometheus.io/port']}`)
    .sort();
}
