/**
 * Prometheus really scrapes the four services, as the prometheus.io/* annotations of deploy/k8s ask:
 * each service runs with the manifests' OTEL_METRICS_EXPORTER and OTEL_EXPORTER_PROMETHEUS_HOST, and a
 * real Prometheus (Debian's package, installed here if missing) scrapes them at this machine's
 * non-loopback address, as another pod would reach a pod's IP: an endpoint bound to localhost fails.
 * PromQL then finds the business metrics and the HTTP duration histogram with the values the
 * requests imply, and the recording rules shipped for this path (deploy/prometheus/rules/
 * app-endpoints.rules.yml) evaluate to series. The Collector path's rules are checked by name: each
 * metric they read is one the services expose, under the name the Collector's exporter gives it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '@mcp/test-kit';
import { postJson, startSystem, type RunningSystem } from './support/system';

const run = randomUUID().slice(0, 8);
const SERVICES = { modelRouter: 'model-router', hub: 'collaboration-hub', orchestrator: 'workflow-orchestrator', frontend: 'frontend' } as const;
type Key = keyof typeof SERVICES;

/** The ConfigMap data of a service's manifest in deploy/k8s/base. */
function manifestEnv(service: string): Record<string, string> {
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy/k8s/base', `${service}.yaml`), 'utf8')).map((d) => d.toJS() as { kind?: string; data?: Record<string, string> });
  return docs.find((d) => d?.kind === 'ConfigMap')?.data ?? {};
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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
  if (spawnSync('sh', ['-c', 'command -v prometheus']).status === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'prometheus']]) {
    const result = spawnSync(sudo.length ? 'sudo' : 'apt-get', [...(sudo.length ? ['apt-get'] : []), ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: the prometheus package is needed for this test`);
  }
}

let system: RunningSystem;
let prometheus: ChildProcess;
let prometheusUrl = '';
let dataDir = '';
let prometheusLog = '';
const metricsPorts = {} as Record<Key, number>;

async function query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
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
    metricsPorts[key] = await freePort();
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
  writeFileSync(join(dataDir, 'prometheus.yml'), JSON.stringify(config));
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn('prometheus', [`--config.file=${join(dataDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dataDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  prometheus.stderr?.on('data', (d: Buffer) => (prometheusLog += d.toString()));
  for (let attempt = 0; ; attempt++) {
    const ready = await fetch(`${prometheusUrl}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (prometheus.exitCode !== null || attempt > 60) throw new Error(`prometheus did not start:\n${prometheusLog}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}, 180_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
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
    // Every metric family the four services expose, with its unit, from the scrape itself.
    const families = new Map<string, string>();
    for (const key of Object.keys(SERVICES) as Key[]) {
      const text = await (await fetch(`http://${externalAddress()}:${metricsPorts[key]}/metrics`)).text();
      for (const line of text.split('\n')) {
        const type = /^# TYPE (\S+) (\S+)/.exec(line);
        if (type) families.set(type[1]!, families.get(type[1]!) ?? '');
        const unit = /^# UNIT (\S+) (\S+)/.exec(line);
        if (unit) families.set(unit[1]!, unit[2]!);
      }
    }
    // The Collector's Prometheus exporter adds the unit (s → _seconds) unless the name ends with it.
    const collectorName = (name: string, unit: string) => (unit === 's' && !name.endsWith('_seconds') ? `${name}_seconds` : name);
    const seriesOf = (name: string) => [name, `${name}_count`, `${name}_sum`, `${name}_bucket`];
    const served = {
      'app-endpoints.rules.yml': new Set([...families].flatMap(([name]) => seriesOf(name))),
      'collector.rules.yml': new Set([...families].flatMap(([name, unit]) => seriesOf(collectorName(name, unit)))),
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
