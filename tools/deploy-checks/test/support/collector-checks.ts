import { semconvAttribute, type SemconvCatalog } from '@mcp/telemetry-registry';
import { isObject } from './repo';

const KINDS = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;
type Kind = (typeof KINDS)[number];

export interface KnownComponents {
  version: string;
  receivers: Record<string, string>;
  processors: Record<string, string>;
  exporters: Record<string, string>;
  connectors: Record<string, string>;
  extensions: Record<string, string>;
  deprecatedAliases: Partial<Record<Kind, Record<string, string>>>;
}

/** `otlp_grpc/jaeger` → `otlp_grpc`: the type is the id up to the first slash. */
const typeOf = (id: string) => id.split('/')[0]!;

function endpointOf(value: unknown): string | undefined {
  return isObject(value) && typeof value['endpoint'] === 'string' ? value['endpoint'] : undefined;
}

/**
 * Problems of a Collector config against the known components of the pinned version and, for the
 * span metrics' dimensions, against the semantic conventions the services follow.
 */
export function collectorProblems(config: unknown, known: KnownComponents, conventions: SemconvCatalog): string[] {
  const problems: string[] = [];
  if (!isObject(config)) return ['not a mapping'];
  const defined: Record<Kind, Set<string>> = { receivers: new Set(), processors: new Set(), exporters: new Set(), connectors: new Set(), extensions: new Set() };
  for (const kind of KINDS) {
    const section = config[kind];
    if (section === undefined) continue;
    if (!isObject(section)) {
      problems.push(`${kind} is not a mapping`);
      continue;
    }
    for (const id of Object.keys(section)) {
      defined[kind].add(id);
      const type = typeOf(id);
      const alias = known.deprecatedAliases[kind]?.[type];
      if (alias) problems.push(`${kind}.${id}: "${type}" is a deprecated alias in ${known.version}; use "${alias}"`);
      else if (!(type in known[kind])) problems.push(`${kind}.${id}: "${type}" is not a known ${kind.slice(0, -1)} of contrib ${known.version} (verify it, then add it to components.json with its source)`);
    }
  }

  const service = config['service'];
  if (!isObject(service)) return [...problems, 'no service section'];
  const extensions = Array.isArray(service['extensions']) ? (service['extensions'] as string[]) : [];
  for (const id of extensions) if (!defined.extensions.has(id)) problems.push(`service.extensions: ${id} is not defined`);
  const healthCheck = extensions.find((id) => typeOf(id) === 'health_check');
  if (!healthCheck) problems.push('the health_check extension is not enabled (compose and Kubernetes probe it)');
  else {
    const endpoint = endpointOf((config['extensions'] as Record<string, unknown>)[healthCheck]);
    if (!endpoint || !/^0\.0\.0\.0:\d+$/.test(endpoint)) problems.push(`health_check endpoint ${endpoint}: bind 0.0.0.0:<port> explicitly so probes from outside the process reach it`);
  }

  const pipelines = service['pipelines'];
  if (!isObject(pipelines) || Object.keys(pipelines).length === 0) return [...problems, 'no pipelines'];
  const usedAs = { receivers: new Set<string>(), exporters: new Set<string>() };
  for (const [name, pipeline] of Object.entries(pipelines)) {
    if (!isObject(pipeline)) {
      problems.push(`pipeline ${name} is not a mapping`);
      continue;
    }
    const receivers = (pipeline['receivers'] as string[] | undefined) ?? [];
    const processors = (pipeline['processors'] as string[] | undefined) ?? [];
    const exporters = (pipeline['exporters'] as string[] | undefined) ?? [];
    if (receivers.length === 0) problems.push(`pipeline ${name}: no receivers`);
    if (exporters.length === 0) problems.push(`pipeline ${name}: no exporters`);
    for (const id of receivers) {
      usedAs.receivers.add(id);
      if (!defined.receivers.has(id) && !defined.connectors.has(id)) problems.push(`pipeline ${name}: receiver ${id} is not defined`);
    }
    for (const id of processors) if (!defined.processors.has(id)) problems.push(`pipeline ${name}: processor ${id} is not defined`);
    for (const id of exporters) {
      usedAs.exporters.add(id);
      if (!defined.exporters.has(id) && !defined.connectors.has(id)) problems.push(`pipeline ${name}: exporter ${id} is not defined`);
    }
    if (typeOf(processors[0] ?? '') !== 'memory_limiter') problems.push(`pipeline ${name}: memory_limiter is not the first processor (${processors[0] ?? 'none'})`);
    if (!processors.some((p) => typeOf(p) === 'batch')) problems.push(`pipeline ${name}: no batch processor`);
  }
  for (const id of defined.connectors) {
    if (!usedAs.exporters.has(id) || !usedAs.receivers.has(id)) problems.push(`connector ${id} must be an exporter of one pipeline and a receiver of another`);
  }
  for (const kind of ['receivers', 'processors', 'exporters'] as const) {
    const used = new Set(Object.values(pipelines).flatMap((p) => (isObject(p) ? ((p[kind] as string[] | undefined) ?? []) : [])));
    for (const id of defined[kind]) if (!used.has(id)) problems.push(`${kind}.${id} is defined but used by no pipeline`);
  }

  // Span metrics are grouped by span attributes: a key the services no longer emit (a deprecated one)
  // or never did (no convention) is a dimension that is always empty.
  const connectors = config['connectors'];
  if (isObject(connectors)) {
    for (const [id, connector] of Object.entries(connectors)) {
      if (typeOf(id) !== 'span_metrics' || !isObject(connector)) continue;
      const dimensions = Array.isArray(connector['dimensions']) ? (connector['dimensions'] as unknown[]) : [];
      for (const dimension of dimensions) {
        const name = isObject(dimension) ? dimension['name'] : undefined;
        const entry = typeof name === 'string' ? semconvAttribute(conventions, name) : undefined;
        if (!entry) problems.push(`connectors.${id}: dimension ${JSON.stringify(name)} is not an attribute of the semantic conventions ${conventions.version}`);
        else if (entry.status === 'deprecated') problems.push(`connectors.${id}: dimension ${String(name)} is deprecated in the semantic conventions ${conventions.version} (${entry.deprecation})`);
      }
    }
  }

  // Receivers bind explicit addresses (the default changed to localhost in 0.104: a container then
  // accepts nothing from outside; an explicit 0.0.0.0:<port> says what is meant).
  const receivers = config['receivers'];
  if (isObject(receivers)) {
    for (const [id, receiver] of Object.entries(receivers)) {
      const protocols = isObject(receiver) ? receiver['protocols'] : undefined;
      const listeners = isObject(protocols) ? Object.entries(protocols) : [[id, receiver] as [string, unknown]];
      for (const [protocol, listener] of listeners) {
        const endpoint = endpointOf(listener);
        if (!endpoint) problems.push(`receivers.${id}.${protocol}: no explicit endpoint`);
        else if (!/^(0\.0\.0\.0|\[::\]|[a-z0-9.-]+):\d+$/.test(endpoint) || endpoint.startsWith('localhost') || endpoint.startsWith('127.')) problems.push(`receivers.${id}.${protocol}: endpoint ${endpoint} is not reachable from other containers`);
      }
    }
  }
  return problems;
}
