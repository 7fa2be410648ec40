/**
 * Prometheus really scrapes the four services, as the prometheus.io/* annotations of deploy/k8s ask:
 * each service runs with the manifests' OTEL_METRICS_EXPORTER and OTEL_EXPORTER_PROMETHEUS_HOST, and a
 * real Prometheus (Debian's package, installed here if missing) scrapes them at this machine's
 * non-loopback address, as another pod would reach a pod's IP: an endpoint bound to localhost fails.
 * PromQL then finds the business metrics and the HTTP duration histogram with the values the
 * requests imply, and the recording rules shipped for this path (deploy/prometheus/rules/
 * app-endpoints.rules.yml) evaluate to series. The Collector path's rules are checked by name: each
 * metric they read is one the services expose, under the name the Collector's exporter gives it.
 *
 * The Grafana dashboards (deploy/grafana/dashboards) are written for the Collector path, as compose
 * runs it. The Collector binary cannot run here, so a second Prometheus scrapes the same endpoints and
 * renames each metric as the Collector's Prometheus exporter does (unit suffixes from the `# UNIT`
 * lines: _seconds, _bytes, _ratio), with collector.rules.yml loaded: every dashboard query must return
 * data there after the test's traffic. Only the span metrics (the Collector's span_metrics connector,
 * which carries the exemplars) cannot exist without the Collector; those queries are listed and named.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { createModelRouterClient } from '@mcp/contracts';
import { REPO_ROOT, freePort } from '@mcp/test-kit';
import { postJson, startSystem, type RunningSystem } from './support/system';

const run = randomUUID().slice(0, 8);
const SERVICES = { modelRouter: 'model-router', hub: 'collaboration-hub', orchestrator: 'workflow-orchestrator', frontend: 'frontend' } as const;
type Key = keyof typeof SERVICES;

/** The ConfigMap data of a service's manifest in deploy/k8s/base. */
function manifestEnv(service: string): Record<string, string> {
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy/k8s/base', `${service}.yaml`), 'utf8')).map((d) => d.toJS() as { kind?: string; data?: Record<string, string> });
  return docs.find((d) => d?.kind === 'ConfigMap')?.data ?? {};
}

/** An address of this machine other than loopback: how another pod would reach this one. */
function externalAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  if (!address) throw new Error('no non-loopback IPv4 address on this machine: the scrape could not prove reachability from elsewhere');
  return address.address;
}

function ensurePrometheus(): void {
  const result = spawnSync('bash', [join(REPO_ROOT, 'tools/scripts/ensure-prometheus.sh')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('tools/scripts/ensure-prometheus.sh failed: the prometheus package is needed for this test');
}

/** The name the Collector's Prometheus exporter gives an OTLP metric the app endpoint exposes as `name` (`unit` from its `# UNIT` line). */
function collectorName(name: string, unit: string, type: string): string {
  const suffix = { s: 'seconds', By: 'bytes', ms: 'milliseconds', ...(type === 'gauge' && { '1': 'ratio' }) }[unit];
  const base = type === 'counter' ? name.replace(/_total$/, '') : name;
  const withUnit = suffix && !base.endsWith(`_${suffix}`) ? `${base}_${suffix}` : base;
  return type === 'counter' ? `${withUnit}_total` : withUnit;
}

/** Every metric family a service exposes at its endpoint: name → unit and type. */
async function metricFamilies(url: string): Promise<Map<string, { unit: string; type: string }>> {
  const families = new Map<string, { unit: string; type: string }>();
  for (const line of (await (await fetch(url)).text()).split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) families.set(type[1]!, { unit: families.get(type[1]!)?.unit ?? '', type: type[2]! });
    const unit = /^# UNIT (\S+) (\S+)/.exec(line);
    if (unit) families.set(unit[1]!, { type: families.get(unit[1]!)?.type ?? '', unit: unit[2]! });
  }
  return families;
}

/** Starts Debian's Prometheus with `config` and waits until it is ready. */
async function startPrometheus(name: string, config: object): Promise<{ url: string; process: ChildProcess; log: () => string }> {
  writeFileSync(join(dataDir, `${name}.yml`), JSON.stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('prometheus', [`--config.file=${join(dataDir, `${name}.yml`)}`, `--storage.tsdb.path=${join(dataDir, `${name}-data`)}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  for (let attempt = 0; ; attempt++) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (child.exitCode !== null || attempt > 60) throw new Error(`prometheus (${name}) did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return { url, process: child, log: () => log };
}

let system: RunningSystem;
let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
let prometheusUrl = '';
let dataDir = '';
let collectorPath: Awaited<ReturnType<typeof startPrometheus>> | undefined;
const metricsPorts = {} as Record<Key, number>;

async function query(promql: string, url = prometheusUrl): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
  return body.data.result;
}

/** Waits until the query's single value is `expected` (scrapes are periodic); fails with the last answer. */
async function expectValue(promql: string, expected: number): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < 60; attempt++) {
    const result = await query(promql);
    last = result;
    if (result.length === 1 && Number(result[0]!.value[1]) === expected) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  expect({ promql, result: last }).toEqual({ promql, result: [{ value: [expect.any(Number), String(expected)] }] });
}

beforeAll(async () => {
  ensurePrometheus();
  const serviceEnv = {} as Record<Key, Record<string, string>>;
  let exporters = '';
  let host = '';
  for (const key of Object.keys(SERVICES) as Key[]) {
    const manifest = manifestEnv(SERVICES[key]);
    exporters = manifest['OTEL_METRICS_EXPORTER'] ?? '';
    host = manifest['OTEL_EXPORTER_PROMETHEUS_HOST'] ?? '';
    // The services serve their metrics on every interface (the manifests' host).
    metricsPorts[key] = await freePort('0.0.0.0');
    // The manifests' settings; only the port is ours (four services on one machine).
    serviceEnv[key] = { OTEL_METRICS_EXPORTER: exporters, OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPorts[key]), ...(manifest['OTEL_EXPORTER_PROMETHEUS_HOST'] !== undefined && { OTEL_EXPORTER_PROMETHEUS_HOST: host }) };
  }
  expect(exporters.split(',')).toContain('prometheus');
  system = await startSystem(`prometheus-${run}`, { serviceEnv });

  const address = externalAddress();
  dataDir = mkdtempSync(join(tmpdir(), 'prometheus-scrape-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [join(REPO_ROOT, 'deploy/prometheus/rules/app-endpoints.rules.yml')],
    scrape_configs: (Object.keys(SERVICES) as Key[]).map((key) => ({ job_name: SERVICES[key], static_configs: [{ targets: [`${address}:${metricsPorts[key]}`] }] })),
  };
  prometheusUrl = (prometheus = await startPrometheus('app-endpoints', config)).url;

}, 180_000);

/**
 * A second Prometheus on the same endpoints, each metric renamed as the Collector's exporter names it.
 * Started after traffic: a family (a histogram) is exposed, with its unit, only once it has a value.
 */
async function startCollectorPathPrometheus(): Promise<Awaited<ReturnType<typeof startPrometheus>>> {
  const collectorConfig = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [join(REPO_ROOT, 'deploy/prometheus/rules/collector.rules.yml')],
    scrape_configs: await Promise.all(
      (Object.keys(SERVICES) as Key[]).map(async (key) => {
        const families = await metricFamilies(`http://${externalAddress()}:${metricsPorts[key]}/metrics`);
        const renames = [...families].filter(([name, { unit, type }]) => collectorName(name, unit, type) !== name);
        return {
          job_name: SERVICES[key],
          static_configs: [{ targets: [`${externalAddress()}:${metricsPorts[key]}`] }],
          metric_relabel_configs: renames.map(([name, { unit, type }]) => ({ source_labels: ['__name__'], regex: `${name}(_bucket|_count|_sum)?`, target_label: '__name__', replacement: `${collectorName(name, unit, type)}$1` })),
        };
      }),
    ),
  };
  return startPrometheus('collector-path', collectorConfig);
}

afterAll(async () => {
  prometheus?.process.kill('SIGTERM');
  collectorPath?.process.kill('SIGTERM');
  await system?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('Prometheus scrapes the four services at a non-loopback address', () => {
  it('every target is up', async () => {
    for (const service of Object.values(SERVICES)) await expectValue(`up{job="${service}"}`, 1);
  });

  it('the HTTP duration histogram and the business metrics carry what the requests did', async () => {
    const prompt = `prometheus scrape ${run}`;
    for (let i = 0; i < 3; i++) {
      const res = await postJson(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt, user_id: `prom-${run}` });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    const workflow = await postJson(`${system.frontend.url}/api/workflow/execute`, {
      workflow_type: `prom-${run}`,
      input_data: { text: 'otters' },
      steps: [{ type: 'data_processing', name: 'count', operation: 'word_count' }],
    });
    expect(workflow.status, JSON.stringify(workflow.body)).toBe(200);

    // The app's own exporter: no unit suffix on the histogram.
    await expectValue(`sum(http_server_request_duration_count{job="frontend", http_route="/api/route", http_response_status_code="200"})`, 3);
    await expectValue(`sum(http_server_request_duration_bucket{job="frontend", http_route="/api/route", le="+Inf"})`, 3);
    await expectValue(`sum(http_server_request_duration_count{job="workflow-orchestrator", http_route="/workflows/execute"})`, 1);
    // One miss (the model answers), then two hits from the frontend's cache.
    await expectValue(`sum(mcp_model_cache_misses_total{job="frontend"})`, 1);
    await expectValue(`sum(mcp_model_cache_hits_total{job="frontend"})`, 2);
    await expectValue(`sum(mcp_workflow_execution_total{job="workflow-orchestrator", mcp_workflow_type="prom-${run}"})`, 1);
  });

  it('the recording rules shipped for this path (app-endpoints.rules.yml) evaluate to series', async () => {
    const rules = parseYaml(readFileSync(join(REPO_ROOT, 'deploy/prometheus/rules/app-endpoints.rules.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ record: string }> }> };
    for (const { record } of rules.groups.flatMap((g) => g.rules)) {
      let result: Awaited<ReturnType<typeof query>> = [];
      for (let attempt = 0; attempt < 60 && result.length === 0; attempt++) {
        result = await query(record);
        if (result.length === 0) await new Promise((r) => setTimeout(r, 1000));
      }
      expect(result.length, `${record} has no series`).toBeGreaterThan(0);
    }
  });

  it('each rules file reads only the names its path serves: as exposed (app endpoints), with unit suffixes (Collector)', async () => {
    // Every metric family the four services expose, with its unit and type, from the scrape itself.
    const families = new Map<string, { unit: string; type: string }>();
    for (const key of Object.keys(SERVICES) as Key[]) for (const [name, family] of await metricFamilies(`http://${externalAddress()}:${metricsPorts[key]}/metrics`)) families.set(name, family);
    const seriesOf = (name: string) => [name, `${name}_count`, `${name}_sum`, `${name}_bucket`];
    const served = {
      'app-endpoints.rules.yml': new Set([...families].flatMap(([name]) => seriesOf(name))),
      'collector.rules.yml': new Set([...families].flatMap(([name, { unit, type }]) => seriesOf(collectorName(name, unit, type)))),
    };
    expect(served['app-endpoints.rules.yml']).toContain('http_server_request_duration_bucket');
    expect(served['collector.rules.yml']).toContain('http_server_request_duration_seconds_bucket');
    for (const [file, names] of Object.entries(served)) {
      const rules = parseYaml(readFileSync(join(REPO_ROOT, 'deploy/prometheus/rules', file), 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> };
      for (const { expr } of rules.groups.flatMap((g) => g.rules)) {
        // Metric names: identifiers not followed by "(" (functions) nor inside {…} or by (…).
        const stripped = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without)\s*\([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '');
        const metrics = [...stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]!).filter((n) => !/^\d/.test(n) && !['sum', 'rate', 'histogram_quantile'].includes(n));
        expect(metrics.length, expr).toBeGreaterThan(0);
        for (const metric of metrics) expect(names, `${file}: ${metric} is not a name this path serves`).toContain(metric);
      }
    }
  });

});

/** The number of series `promql` returns, waiting up to `seconds` for any (scrapes and rule evaluations are periodic). */
async function seriesWithin(promql: string, url: string, seconds = 60): Promise<number> {
  for (let attempt = 0; attempt < seconds; attempt++) {
    const result = await query(promql, url);
    if (result.length > 0) return result.length;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return 0;
}

/** Series only the Collector makes (its span_metrics connector, with the exemplars): no Collector runs here. */
const COLLECTOR_ONLY = /\btraces_span_metrics_/;

describe('the Grafana dashboards (deploy/grafana/dashboards, Collector path): every query returns data after traffic', () => {
  const dashboardDir = join(REPO_ROOT, 'deploy/grafana/dashboards');
  type Dashboard = { title: string; templating: { list: Array<{ name: string; definition: string }> }; panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  const dashboards = readdirSync(dashboardDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dashboardDir, f), 'utf8')) as Dashboard);

  /** A request on every path the dashboards show: a route, a workflow with a model step, a streamed answer. */
  async function traffic(): Promise<void> {
    const route = await postJson(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt: `dashboards ${run}` });
    expect(route.status, JSON.stringify(route.body)).toBe(200);
    const workflow = await postJson(`${system.frontend.url}/api/workflow/execute`, {
      workflow_type: `dash-${run}`,
      input_data: { text: 'otters' },
      steps: [{ type: 'model_inference', name: 'answer', model_type: 'stub-small', prompt_template: 'Say hello' }],
    });
    expect(workflow.status, JSON.stringify(workflow.body)).toBe(200);
    // The first-token histogram is the model-router's, for streamed answers only.
    const caller = createModelRouterClient(`127.0.0.1:${system.modelRouter.port}`);
    let chunks = 0;
    try {
      for await (const chunk of caller.streamRoute({ model_type: 'stub-large', prompt: `dashboards stream ${run}` }, 10_000)) chunks += chunk.text === '' ? 0 : 1;
    } finally {
      caller.close();
    }
    expect(chunks).toBeGreaterThan(0);
  }

  it('traffic on every path the dashboards show, before and after the Collector-path Prometheus starts', async () => {
    expect(dashboards.map((d) => d.title).sort()).toEqual(['MCP / Model path', 'MCP / Node.js runtime', 'MCP / RED by service', 'MCP / Workflows']);
    await traffic();
    collectorPath = await startCollectorPathPrometheus();
    expect(await seriesWithin('gen_ai_server_time_to_first_token_seconds_count', collectorPath.url)).toBeGreaterThan(0);
    // Again once scraped, so every rate has an increase in its window.
    await traffic();
  }, 120_000);

  it('the recording rules shipped for the Collector path (collector.rules.yml) evaluate to series on its names', async () => {
    const rules = parseYaml(readFileSync(join(REPO_ROOT, 'deploy/prometheus/rules/collector.rules.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ record: string }> }> };
    for (const { record } of rules.groups.flatMap((g) => g.rules)) expect(await seriesWithin(record, collectorPath!.url), `${record} has no series`).toBeGreaterThan(0);
  }, 300_000);

  it('each template variable finds services', async () => {
    for (const dashboard of dashboards) {
      for (const variable of dashboard.templating.list) {
        const [, metric, label] = /^label_values\((\w+), (\w+)\)$/.exec(variable.definition) ?? [];
        expect(metric, `${dashboard.title} $${variable.name}: ${variable.definition}`).toBeDefined();
        expect(await seriesWithin(`count by (${label}) (${metric})`, collectorPath!.url), `${dashboard.title} $${variable.name}: ${variable.definition}`).toBeGreaterThan(0);
      }
    }
  });

  it.each(dashboards.map((d) => [d.title, d] as const))('%s', async (_title, dashboard) => {
    const empty: string[] = [];
    let checked = 0;
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        if (COLLECTOR_ONLY.test(expr)) continue;
        // What Grafana sends with "All" services and a short range.
        const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.+');
        // The traffic test waited for the first scrapes; a few seconds more for the rates' windows.
        if ((await seriesWithin(promql, collectorPath!.url, 10)) === 0) empty.push(`${panel.title}: ${promql}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(empty, collectorPath!.log().slice(-2000)).toEqual([]);
  }, 600_000);

  it('only the span-metrics panel (exemplars) reads what the Collector alone makes', () => {
    const collectorOnly = dashboards.flatMap((d) => d.panels.filter((p) => p.targets.some((t) => COLLECTOR_ONLY.test(t.expr))).map((p) => `${d.title}: ${p.title}`));
    expect(collectorOnly).toEqual(['MCP / RED by service: Span duration p99 with exemplars (span metrics): click a dot for its trace']);
  });
});
