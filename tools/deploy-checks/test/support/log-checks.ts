import { imageProblem } from './images';
import { isObject } from './repo';

// The path of a log record, statically: the Collector's logs pipeline → Loki (OTLP/HTTP at /otlp) →
// Grafana's Loki data source, whose derived field opens the record's trace in the Jaeger data source,
// whose trace-to-logs link queries Loki for the trace's records. Each function returns problems.

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (isObject(value) ? value : {});

/**
 * A provisioning value as Grafana reads it: `$$` is a literal `$`, `${NAME}` and `$NAME` are
 * environment variables (empty when unset), so a macro such as `${__value.raw}` must be written `$${…}`.
 */
export function grafanaExpand(value: string, env: Record<string, string> = {}): string {
  return value.replace(/\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced?: string, bare?: string) => (match === '$$' ? '$' : (env[braced ?? bare ?? ''] ?? '')));
}

/** The Loki port and OTLP path the Collector must use, from Loki's own config. */
export function lokiEndpoint(lokiConfig: unknown): string {
  return `http://loki:${String(obj(obj(lokiConfig)['server'])['http_listen_port'] ?? 3100)}/otlp`;
}

/** Loki's config: a schema that stores structured metadata (the trace id of each record) and one tenant. */
export function lokiConfigProblems(config: unknown): string[] {
  const problems: string[] = [];
  const c = obj(config);
  if (c['auth_enabled'] !== false) problems.push('loki: auth_enabled is not false (the Collector and Grafana send no X-Scope-OrgID)');
  const schemas = (obj(c['schema_config'])['configs'] as Obj[] | undefined) ?? [];
  const latest = schemas.at(-1);
  if (!latest || latest['schema'] !== 'v13' || latest['store'] !== 'tsdb') problems.push(`loki: the newest schema is ${String(latest?.['store'])}/${String(latest?.['schema'])}, not tsdb/v13 (structured metadata, which OTLP ingestion needs)`);
  if (obj(c['limits_config'])['allow_structured_metadata'] === false) problems.push('loki: allow_structured_metadata is false: OTLP pushes are refused');
  return problems;
}

/** The Collector's logs pipeline ends at Loki, and nowhere that only prints. */
export function collectorLogsProblems(collector: unknown, lokiConfig: unknown): string[] {
  const problems: string[] = [];
  const c = obj(collector);
  const pipelines = obj(obj(c['service'])['pipelines']);
  const logs = Object.entries(pipelines).filter(([name]) => name === 'logs' || name.startsWith('logs/'));
  if (logs.length === 0) problems.push('collector: no logs pipeline');
  const exporters = obj(c['exporters']);
  const endpoint = lokiEndpoint(lokiConfig);
  for (const [name, pipeline] of logs) {
    const ids = (obj(pipeline)['exporters'] as string[] | undefined) ?? [];
    const toLoki = ids.filter((id) => id.split('/')[0] === 'otlp_http' && obj(exporters[id])['endpoint'] === endpoint);
    if (toLoki.length === 0) problems.push(`collector: pipeline ${name} exports to ${ids.join(', ') || 'nothing'}, no otlp_http exporter with endpoint ${endpoint}`);
    for (const id of ids) if (id.split('/')[0] === 'debug') problems.push(`collector: pipeline ${name} still ends at ${id} (prints, stores nothing)`);
  }
  return problems;
}

/** The Collector's own metrics are served on every interface at the port Prometheus scrapes. */
export function collectorSelfMetricsProblems(collector: unknown, prometheus: unknown): string[] {
  const problems: string[] = [];
  const readers = (obj(obj(obj(obj(collector)['service'])['telemetry'])['metrics'])['readers'] as Obj[] | undefined) ?? [];
  const pull = readers.map((r) => obj(obj(obj(r['pull'])['exporter'])['prometheus'])).find((p) => p['port'] !== undefined);
  if (!pull) return ['collector: service.telemetry.metrics has no Prometheus pull reader (its default binds localhost:8888, which no other container reaches)'];
  if (!['0.0.0.0', '::', '[::]', '[::0]'].includes(String(pull['host']))) problems.push(`collector: its own metrics are bound to ${String(pull['host'])}, not every interface`);
  const target = `otel-collector:${String(pull['port'])}`;
  const jobs = (obj(prometheus)['scrape_configs'] as Obj[] | undefined) ?? [];
  const job = jobs.find((j) => ((j['static_configs'] as Obj[] | undefined) ?? []).some((s) => ((s['targets'] as string[] | undefined) ?? []).includes(target)));
  if (!job) problems.push(`prometheus: no scrape job for the Collector's own metrics (${target})`);
  else if (job['honor_labels'] === true) problems.push(`prometheus: job ${String(job['job_name'])} honours labels; the Collector's own series must carry the job that scraped them`);
  return problems;
}

interface DataSource {
  name?: string;
  uid?: string;
  type?: string;
  url?: string;
  jsonData?: Obj;
}

/**
 * Grafana's data sources link traces and logs both ways by trace id: Loki's derived field (the
 * structured-metadata label trace_id) opens the Jaeger data source; Jaeger's tracesToLogsV2 queries
 * the Loki data source by that label.
 */
export function dataSourceLinkProblems(provisioning: unknown, lokiConfig: unknown): string[] {
  const problems: string[] = [];
  const sources = ((obj(provisioning)['datasources'] as DataSource[] | undefined) ?? []).filter(isObject) as DataSource[];
  const loki = sources.filter((s) => s.type === 'loki');
  const jaeger = sources.filter((s) => s.type === 'jaeger');
  if (loki.length !== 1) return [`grafana: ${loki.length} Loki data sources, expected 1`];
  if (jaeger.length !== 1) return [`grafana: ${jaeger.length} Jaeger data sources, expected 1`];
  const [l, j] = [loki[0]!, jaeger[0]!];
  if (!l.uid || !j.uid) problems.push('grafana: the Loki and Jaeger data sources need fixed uids (links name them)');
  const lokiUrl = `http://loki:${String(obj(obj(lokiConfig)['server'])['http_listen_port'] ?? 3100)}`;
  if (l.url !== lokiUrl) problems.push(`grafana: Loki data source url ${String(l.url)}, not ${lokiUrl}`);

  // Log line → trace.
  const derived = ((obj(l.jsonData)['derivedFields'] as Obj[] | undefined) ?? []).filter((f) => f['datasourceUid'] === j.uid);
  if (derived.length === 0) problems.push(`grafana: no derived field of the Loki data source links to the Jaeger data source (uid ${String(j.uid)})`);
  for (const field of derived) {
    if (field['matcherType'] !== 'label' || field['matcherRegex'] !== 'trace_id') problems.push(`grafana: derived field ${String(field['name'])} matches ${String(field['matcherType'] ?? 'regex')} ${String(field['matcherRegex'])}, not the label trace_id (an OTLP record's trace id is structured metadata, not part of the line)`);
    if (grafanaExpand(String(field['url'] ?? '')) !== '${__value.raw}') problems.push(`grafana: derived field ${String(field['name'])} queries Jaeger with ${JSON.stringify(grafanaExpand(String(field['url'] ?? '')))} as Grafana reads it, not the trace id \${__value.raw} (write $\${…} in provisioning)`);
  }

  // Trace → its logs.
  const toLogs = obj(obj(j.jsonData)['tracesToLogsV2']);
  if (toLogs['datasourceUid'] !== l.uid) problems.push(`grafana: the Jaeger data source's tracesToLogsV2 points at ${String(toLogs['datasourceUid'])}, not the Loki data source (uid ${String(l.uid)})`);
  if (toLogs['customQuery'] !== true) problems.push('grafana: tracesToLogsV2 without customQuery: its generated query filters the log line for the trace id, which an OTLP record keeps as structured metadata');
  const query = grafanaExpand(String(toLogs['query'] ?? ''));
  if (!/^\{[^}]*[^}\s][^}]*\}/.test(query)) problems.push(`grafana: tracesToLogsV2 query ${JSON.stringify(query)} has no stream selector`);
  if (!/\|\s*trace_id\s*=\s*"\$\{__(trace|span)\.traceId\}"/.test(query)) problems.push(`grafana: tracesToLogsV2 query ${JSON.stringify(query)} (as Grafana reads it) does not filter on trace_id="\${__trace.traceId}"`);
  return problems;
}

/** Loki's image: pinned, and the same version wherever it runs and in deploy/VERSIONS.md. */
export function lokiImageProblems(images: Record<string, string | undefined>, versionsMd: string): string[] {
  const problems: string[] = [];
  for (const [where, image] of Object.entries(images)) {
    if (!image) {
      problems.push(`${where}: no Loki image`);
      continue;
    }
    const problem = imageProblem(image);
    if (problem) problems.push(`${where}: ${problem}`);
    if (!image.startsWith('grafana/loki:')) problems.push(`${where}: ${image} is not grafana/loki`);
    const tag = image.split('@')[0]!.split(':')[1];
    if (tag && !versionsMd.includes(`\`grafana/loki:${tag}\``)) problems.push(`${where}: grafana/loki:${tag} is not the version deploy/VERSIONS.md lists`);
  }
  if (new Set(Object.values(images)).size > 1) problems.push(`Loki versions differ: ${JSON.stringify(images)}`);
  return problems;
}
