/**
 * The Prometheus rules shipped in deploy/prometheus: every rules file is valid for promtool, and the
 * alerts' unit tests (deploy/prometheus/tests, series that fire each alert and series that must not)
 * pass under `promtool test rules`. promtool comes with Debian's `prometheus` package, installed by
 * tools/scripts/ensure-prometheus.sh if missing.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYaml, REPO_ROOT } from './support/repo';

const PROMETHEUS_DIR = join(REPO_ROOT, 'deploy/prometheus');
const ruleFiles = readdirSync(join(PROMETHEUS_DIR, 'rules')).filter((f) => f.endsWith('.yml'));
const testFiles = readdirSync(join(PROMETHEUS_DIR, 'tests')).filter((f) => f.endsWith('.yml'));

function promtool(args: string[], cwd = PROMETHEUS_DIR): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

let scratch = '';
beforeAll(() => {
  const ensured = spawnSync('bash', [join(REPO_ROOT, 'tools/scripts/ensure-prometheus.sh')], { encoding: 'utf8' });
  expect(ensured.status, ensured.stderr).toBe(0);
  scratch = mkdtempSync(join(tmpdir(), 'prometheus-rules-'));
}, 300_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('deploy/prometheus rules', () => {
  it('has alert rules and their unit tests', () => {
    expect(ruleFiles).toContain('alerts.rules.yml');
    expect(testFiles).toContain('alerts.test.yml');
  });

  it("compose's Prometheus (prometheus.yml, the Collector path) loads the alerts, and promtool accepts its config", () => {
    const config = parseYaml(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8'), 'prometheus.yml') as { rule_files: string[] };
    expect(config.rule_files).toContain('/etc/prometheus/rules/alerts.rules.yml');
    // The paths are the container's (compose mounts rules/ at /etc/prometheus/rules): check a copy pointing here.
    const local = readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8').replaceAll('/etc/prometheus/rules/', `${join(PROMETHEUS_DIR, 'rules')}/`);
    writeFileSync(join(scratch, 'prometheus.local.yml'), local);
    const { status, output } = promtool(['check', 'config', join(scratch, 'prometheus.local.yml')]);
    expect(status, output).toBe(0);
  });

  it.each(ruleFiles)('promtool check rules %s', (file) => {
    const { status, output } = promtool(['check', 'rules', join('rules', file)]);
    expect(status, output).toBe(0);
  });

  it.each(testFiles)('promtool test rules %s: every alert fires on its series and stays silent on the others', (file) => {
    const { status, output } = promtool(['test', 'rules', join('tests', file)]);
    expect(status, output).toBe(0);
  });

  it('the unit tests fail when an alert stops firing (the check can fail)', () => {
    // Same tests, against rules whose thresholds no test series reaches.
    cpSync(PROMETHEUS_DIR, join(scratch, 'copy'), { recursive: true });
    const rules = readFileSync(join(scratch, 'copy/rules/alerts.rules.yml'), 'utf8');
    const blunted = rules.replace(/\) > 0\.05/g, ') > 0.99').replace(/> 2\n/g, '> 600\n').replace(/pending\) > 100/, 'pending) > 100000').replace(/\[5m\]\)\) > 0\n/g, '[5m])) > 1000\n');
    expect(blunted).not.toBe(rules);
    writeFileSync(join(scratch, 'copy/rules/alerts.rules.yml'), blunted);
    const { status, output } = promtool(['test', 'rules', 'tests/alerts.test.yml'], join(scratch, 'copy'));
    expect(status, output).not.toBe(0);
    for (const alert of ['McpHighErrorRatio', 'McpHighP99Latency', 'McpLedgerOutboxBacklog', 'McpSpansDropped']) expect(output, `${alert} no longer fails its test`).toContain(`alertname: ${alert}`);
  });
});

describe('exemplars, from a graph to its trace (statically: the Collector, Prometheus and Grafana cannot run here)', () => {
  it('the span_metrics connector records exemplars and the Prometheus exporter writes them (OpenMetrics)', () => {
    const collector = parseYaml(readFileSync(join(REPO_ROOT, 'deploy/otel-collector/config.yaml'), 'utf8'), 'config.yaml') as Record<string, Record<string, Record<string, unknown>>>;
    expect(collector['connectors']?.['span_metrics']?.['exemplars']).toEqual({ enabled: true });
    expect(collector['exporters']?.['prometheus']?.['enable_open_metrics']).toBe(true);
  });

  it("compose's Prometheus stores exemplars and Grafana's Prometheus data source links their trace_id to the Jaeger data source", () => {
    const compose = parseYaml(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), 'docker-compose.yml') as { services: Record<string, { command?: string[] }> };
    expect(compose.services['prometheus']?.command).toContain('--enable-feature=exemplar-storage');
    expect(compose.services['prometheus']?.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const datasources = (parseYaml(readFileSync(join(REPO_ROOT, 'deploy/grafana/provisioning/datasources/datasources.yaml'), 'utf8'), 'datasources.yaml') as { datasources: Array<{ uid: string; type: string; jsonData?: { exemplarTraceIdDestinations?: Array<{ name: string; datasourceUid: string }> } }> }).datasources;
    const prometheus = datasources.find((d) => d.type === 'prometheus');
    const destination = prometheus?.jsonData?.exemplarTraceIdDestinations?.[0];
    expect(destination?.name).toBe('trace_id');
    expect(datasources.find((d) => d.uid === destination?.datasourceUid)?.type).toBe('jaeger');
  });
});
