import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isObject, parseYaml, parseYamlDocuments, REPO_ROOT } from './repo';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>;

/** The kustomization fields this renderer implements; any other field is an error, never ignored. */
const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'patches', 'images']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass']);

interface Target {
  kind?: string;
  name?: string;
  labelSelector?: string;
}

function matches(object: K8sObject, target: Target): boolean {
  if (target.kind && object.kind !== target.kind) return false;
  if (target.name && object.metadata.name !== target.name) return false;
  if (target.labelSelector) {
    for (const term of target.labelSelector.split(',')) {
      const [key, value] = term.split('=').map((s) => s.trim());
      if (object.metadata.labels?.[key!] !== value) return false;
    }
  }
  return true;
}

const decodePointer = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));

/** RFC 6902 add / replace / remove / test on plain data (what kustomize applies for a patch list). */
export function applyJsonPatch(document: unknown, operations: Array<{ op: string; path: string; value?: unknown }>, where: string): void {
  for (const operation of operations) {
    const parts = decodePointer(operation.path);
    const last = parts.pop()!;
    let parent: unknown = document;
    for (const part of parts) {
      parent = Array.isArray(parent) ? parent[Number(part)] : isObject(parent) ? parent[part] : undefined;
      if (parent === undefined) throw new Error(`${where}: ${operation.op} ${operation.path}: path not found`);
    }
    const container = parent as Record<string, unknown> | unknown[];
    switch (operation.op) {
      case 'test': {
        const current = Array.isArray(container) ? container[Number(last)] : container[last];
        if (JSON.stringify(current) !== JSON.stringify(operation.value)) throw new Error(`${where}: test ${operation.path} failed: ${JSON.stringify(current)} ≠ ${JSON.stringify(operation.value)}`);
        break;
      }
      case 'add':
        if (Array.isArray(container)) container.splice(last === '-' ? container.length : Number(last), 0, operation.value);
        else container[last] = operation.value;
        break;
      case 'replace':
        if (Array.isArray(container) ? container[Number(last)] === undefined : !(last in container)) throw new Error(`${where}: replace ${operation.path}: nothing to replace`);
        if (Array.isArray(container)) container[Number(last)] = operation.value;
        else container[last] = operation.value;
        break;
      case 'remove':
        if (Array.isArray(container)) container.splice(Number(last), 1);
        else delete container[last];
        break;
      default:
        throw new Error(`${where}: unsupported patch op ${operation.op}`);
    }
  }
}

function setLabel(map: Record<string, unknown>, key: string, value: string): void {
  const labels = (map['labels'] ??= {}) as Record<string, string>;
  labels[key] = value;
}

/**
 * Renders a kustomization directory the way `kubectl kustomize` does for the features it uses
 * (resources, namespace, labels without selectors, JSON 6902 patches with kind/name/labelSelector
 * targets, images). The tests compare the result with `kubectl kustomize` when kubectl is present.
 */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const where = relative(REPO_ROOT, file);
  const k = parseYaml(readFileSync(file, 'utf8'), where) as Record<string, unknown>;
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${where}: "${key}" is not supported by this renderer`);

  const objects: K8sObject[] = [];
  for (const resource of (k['resources'] as string[] | undefined) ?? []) {
    const path = join(dir, resource);
    if (!existsSync(path)) throw new Error(`${where}: resource ${resource} does not exist`);
    if (statSync(path).isDirectory()) objects.push(...renderKustomization(path));
    else objects.push(...(parseYamlDocuments(readFileSync(path, 'utf8'), relative(REPO_ROOT, path)) as K8sObject[]));
  }

  for (const entry of (k['labels'] as Array<Record<string, unknown>> | undefined) ?? []) {
    if (entry['includeSelectors'] === true) throw new Error(`${where}: labels.includeSelectors would rewrite selectors; not supported`);
    for (const [key, value] of Object.entries(entry['pairs'] as Record<string, string>)) {
      for (const object of objects) {
        setLabel(object.metadata as Record<string, unknown>, key, value);
        const template = (object['spec'] as Record<string, Record<string, Record<string, unknown>>> | undefined)?.['template'];
        if (entry['includeTemplates'] === true && template?.['metadata']) setLabel(template['metadata'], key, value);
      }
    }
  }

  for (const patch of (k['patches'] as Array<{ path: string; target: Target }> | undefined) ?? []) {
    const operations = parseYaml(readFileSync(join(dir, patch.path), 'utf8'), patch.path);
    if (!Array.isArray(operations)) throw new Error(`${where}: ${patch.path} is not a JSON 6902 patch list (strategic merge patches are not supported)`);
    const targets = objects.filter((o) => matches(o, patch.target));
    if (targets.length === 0) throw new Error(`${where}: patch ${patch.path} matches nothing`);
    for (const object of targets) applyJsonPatch(object, operations as Array<{ op: string; path: string; value?: unknown }>, `${patch.path} on ${object.kind}/${object.metadata.name}`);
  }

  for (const image of (k['images'] as Array<{ name: string; newName?: string; newTag?: string }> | undefined) ?? []) {
    for (const container of allContainers(objects)) {
      const [name] = String(container['image']).split(':');
      if (name === image.name) container['image'] = `${image.newName ?? image.name}:${image.newTag ?? String(container['image']).split(':')[1]}`;
    }
  }

  const namespace = k['namespace'] as string | undefined;
  if (namespace) {
    for (const object of objects) {
      if (object.kind === 'Namespace') object.metadata.name = namespace;
      else if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = namespace;
    }
  }
  return objects;
}

export function podSpecOf(object: K8sObject): Record<string, unknown> | undefined {
  const spec = object['spec'] as Record<string, unknown> | undefined;
  if (!spec) return undefined;
  if (object.kind === 'Pod') return spec;
  const template = (spec['jobTemplate'] as Record<string, Record<string, unknown>> | undefined)?.['spec']?.['template'] ?? spec['template'];
  return (template as Record<string, unknown> | undefined)?.['spec'] as Record<string, unknown> | undefined;
}

export function allContainers(objects: K8sObject[]): Array<Record<string, unknown>> {
  return objects.flatMap((o) => {
    const pod = podSpecOf(o);
    return pod ? [...((pod['initContainers'] as Array<Record<string, unknown>>) ?? []), ...((pod['containers'] as Array<Record<string, unknown>>) ?? [])] : [];
  });
}

export const K8S_DIR = join(REPO_ROOT, 'deploy/k8s');
export const KUSTOMIZATIONS = ['base', 'overlays/local', 'overlays/otel-operator'];
export const kustomizationDir = (name: string) => join(K8S_DIR, name);
export { dirname };
