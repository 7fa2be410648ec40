import Ajv from 'ajv';
import { imageProblem } from './images';
import { podSpecOf, type K8sObject } from './kustomize';
import { isObject, readRepoFile } from './repo';

/**
 * Pod Security Standards, "restricted" profile (kubernetes.io/docs/concepts/security/pod-security-standards),
 * every control of the baseline and restricted levels that a manifest can break, plus the read-only
 * root filesystem this project adds. Returns problems; empty when the pod passes.
 */
export function restrictedProblems(object: K8sObject): string[] {
  const pod = podSpecOf(object);
  if (!pod) return [];
  const where = `${object.kind}/${object.metadata.name}`;
  const problems: string[] = [];
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC', 'hostUsers']) {
    if (key === 'hostUsers' ? pod[key] === true : pod[key] === true) problems.push(`${where}: ${key}`);
  }
  const allowedVolumes = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret', 'name']);
  for (const volume of (pod['volumes'] as Array<Record<string, unknown>>) ?? []) {
    for (const key of Object.keys(volume)) if (!allowedVolumes.has(key)) problems.push(`${where}: volume ${String(volume['name'])} of type ${key} (restricted allows configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)`);
  }
  const podSecurity = (pod['securityContext'] as Record<string, unknown> | undefined) ?? {};
  const safeSysctls = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);
  for (const sysctl of (podSecurity['sysctls'] as Array<{ name: string }>) ?? []) if (!safeSysctls.has(sysctl.name)) problems.push(`${where}: unsafe sysctl ${sysctl.name}`);
  if (podSecurity['runAsUser'] === 0) problems.push(`${where}: pod runAsUser 0`);
  const podSeccomp = (podSecurity['seccompProfile'] as Record<string, unknown> | undefined)?.['type'];
  if (podSeccomp !== undefined && podSeccomp !== 'RuntimeDefault' && podSeccomp !== 'Localhost') problems.push(`${where}: pod seccompProfile ${String(podSeccomp)}`);

  const containers = [...((pod['initContainers'] as Array<Record<string, unknown>>) ?? []), ...((pod['containers'] as Array<Record<string, unknown>>) ?? [])];
  for (const container of containers) {
    const at = `${where} container ${String(container['name'])}`;
    const sc = (container['securityContext'] as Record<string, unknown> | undefined) ?? {};
    if (sc['privileged'] === true) problems.push(`${at}: privileged`);
    if (sc['allowPrivilegeEscalation'] !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
    const runAsNonRoot = sc['runAsNonRoot'] ?? podSecurity['runAsNonRoot'];
    if (runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true (container or pod)`);
    if (sc['runAsUser'] === 0) problems.push(`${at}: runAsUser 0`);
    const seccomp = (sc['seccompProfile'] as Record<string, unknown> | undefined)?.['type'] ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${at}: seccompProfile is not RuntimeDefault/Localhost (container or pod)`);
    const caps = (sc['capabilities'] as Record<string, string[]> | undefined) ?? {};
    if (!(caps['drop'] ?? []).includes('ALL')) problems.push(`${at}: capabilities do not drop ALL`);
    for (const cap of caps['add'] ?? []) if (cap !== 'NET_BIND_SERVICE') problems.push(`${at}: adds capability ${cap}`);
    if (sc['procMount'] !== undefined && sc['procMount'] !== 'Default') problems.push(`${at}: procMount ${String(sc['procMount'])}`);
    const seLinuxType = (sc['seLinuxOptions'] as Record<string, unknown> | undefined)?.['type'];
    if (seLinuxType !== undefined && !['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'].includes(String(seLinuxType))) problems.push(`${at}: seLinux type ${String(seLinuxType)}`);
    if ((sc['appArmorProfile'] as Record<string, unknown> | undefined)?.['type'] === 'Unconfined') problems.push(`${at}: AppArmor Unconfined`);
    for (const port of (container['ports'] as Array<Record<string, unknown>>) ?? []) if (port['hostPort'] !== undefined && port['hostPort'] !== 0) problems.push(`${at}: hostPort ${String(port['hostPort'])}`);
    // This project's addition.
    if (sc['readOnlyRootFilesystem'] !== true) problems.push(`${at}: readOnlyRootFilesystem is not true`);
  }
  return problems;
}

type Validate = (data: unknown) => void;
const modelCache = new Map<string, Validate | null>();

/** apiVersion + kind → the kubernetes-models class that validates it (JSON schema of Kubernetes v1.36). */
async function modelValidator(apiVersion: string, kind: string): Promise<Validate | null> {
  const key = `${apiVersion}/${kind}`;
  if (modelCache.has(key)) return modelCache.get(key)!;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const modulePath = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
  let validate: Validate | null = null;
  try {
    const mod = (await import(modulePath)) as Record<string, new (data: unknown) => { validate(): void }>;
    const Model = mod[kind];
    if (Model) validate = (data) => new Model(data).validate();
  } catch {
    validate = null;
  }
  modelCache.set(key, validate);
  return validate;
}

let instrumentationValidator: ReturnType<Ajv['compile']> | undefined;

/** Schema problems of one object: Kubernetes API objects by the Kubernetes schema, the operator's CR by its vendored schema. */
export async function schemaProblems(object: K8sObject): Promise<string[]> {
  const where = `${object.kind}/${object.metadata?.name}`;
  if (object.apiVersion === 'opentelemetry.io/v1alpha1' && object.kind === 'Instrumentation') {
    instrumentationValidator ??= new Ajv({ allErrors: true }).compile(JSON.parse(readRepoFile('tools/deploy-checks/schemas/instrumentation-v1alpha1.schema.json')) as object);
    return instrumentationValidator(object) ? [] : (instrumentationValidator.errors ?? []).map((e) => `${where}: ${e.instancePath} ${e.message}`);
  }
  const validate = await modelValidator(object.apiVersion, object.kind);
  if (!validate) return [`${where}: ${object.apiVersion} ${object.kind} is not a Kubernetes API kind this check knows`];
  try {
    validate(object);
    return [];
  } catch (error) {
    return [`${where}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

/** Unknown fields: the Kubernetes OpenAPI schema allows them, the API server (strict field validation) does not. */
export function unknownFieldProblems(object: K8sObject): string[] {
  const problems: string[] = [];
  const pod = podSpecOf(object);
  const known = {
    container: ['name', 'image', 'imagePullPolicy', 'command', 'args', 'workingDir', 'ports', 'env', 'envFrom', 'resources', 'resizePolicy', 'restartPolicy', 'restartPolicyRules', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty'],
    securityContext: ['allowPrivilegeEscalation', 'appArmorProfile', 'capabilities', 'privileged', 'procMount', 'readOnlyRootFilesystem', 'runAsGroup', 'runAsNonRoot', 'runAsUser', 'seLinuxOptions', 'seccompProfile', 'windowsOptions'],
    probe: ['exec', 'httpGet', 'tcpSocket', 'grpc', 'initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'],
  };
  const check = (value: unknown, allowed: string[], at: string) => {
    if (!isObject(value)) return;
    for (const key of Object.keys(value)) if (!allowed.includes(key)) problems.push(`${at}: unknown field ${key}`);
  };
  for (const container of [...((pod?.['initContainers'] as unknown[]) ?? []), ...((pod?.['containers'] as unknown[]) ?? [])]) {
    if (!isObject(container)) continue;
    const at = `${object.kind}/${object.metadata.name} container ${String(container['name'])}`;
    check(container, known.container, at);
    check(container['securityContext'], known.securityContext, `${at} securityContext`);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) check(container[probe], known.probe, `${at} ${probe}`);
  }
  return problems;
}

export function imageProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const pod = podSpecOf(object);
    for (const container of [...((pod?.['initContainers'] as Array<Record<string, unknown>>) ?? []), ...((pod?.['containers'] as Array<Record<string, unknown>>) ?? [])]) {
      const problem = imageProblem(String(container['image']));
      if (problem) problems.push(`${object.kind}/${object.metadata.name}: ${problem}`);
    }
  }
  return problems;
}
