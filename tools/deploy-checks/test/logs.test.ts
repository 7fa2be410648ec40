/**
 * From a trace to its logs and back, checked statically. Loki, Grafana, the Collector and Jaeger do not
 * run on the machines these tests run on (no Docker engine, no registry, no binaries of them): nothing
 * here ingests a log into Loki or clicks a link in Grafana. What is checked is every file that path
 * depends on, against the others: the Collector's logs pipeline reaches Loki at the port and path Loki's
 * config serves; Loki stores structured metadata (where OTLP puts a record's trace id); the Loki data
 * source's derived field reads the label trace_id and opens the Jaeger data source by its uid; the
 * Jaeger data source's logs link queries the Loki data source by its uid on trace_id, with Grafana's
 * `$$` escaping read as Grafana reads it; Loki's image is pinned, the same in compose and Kubernetes,
 * and listed in deploy/VERSIONS.md; the Collector's own metrics are served where compose's Prometheus
 * scrapes them. That the services' OTLP log records carry the trace id Loki keeps is asserted against
 * the running system in tools/system-tests/test/connected-trace.int.test.ts (logsForTrace: a record's
 * LogRecord.trace_id, 32 lowercase hex characters, the form Loki stores and Jaeger shows).
 */
import { describe, expect, it } from 'vitest';
import { collectorLogsProblems, collectorSelfMetricsProblems, dataSourceLinkProblems, grafanaExpand, lokiConfigProblems, lokiImageProblems } from './support/log-checks';
import { clone, isObject, parseYaml, parseYamlDocuments, readRepoFile } from './support/repo';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const collector = parseYaml(readRepoFile('deploy/otel-collector/config.yaml'), 'deploy/otel-collector/config.yaml') as Obj;
const lokiText = readRepoFile('deploy/loki/config.yaml');
const loki = parseYaml(lokiText, 'deploy/loki/config.yaml') as Obj;
const compose = parseYaml(readRepoFile('docker-compose.yml'), 'docker-compose.yml') as { services: Record<string, Obj> };
const prometheus = parseYaml(readRepoFile('deploy/prometheus/prometheus.yml'), 'deploy/prometheus/prometheus.yml') as Obj;
const datasources = parseYaml(readRepoFile('deploy/grafana/provisioning/datasources/datasources.yaml'), 'datasources.yaml') as Obj;
const k8sLoki = parseYamlDocuments(readRepoFile('deploy/k8s/base/loki.yaml'), 'deploy/k8s/base/loki.yaml') as Obj[];
const versions = readRepoFile('deploy/VERSIONS.md');
const k8sImage = (docs: Obj[]) => docs.find((d) => d['kind'] === 'Deployment')?.['spec']?.['template']?.['spec']?.['containers']?.[0]?.['image'] as string | undefined;

describe('logs: the Collector → Loki → Grafana, linked to traces both ways (static: Loki, Grafana, the Collector and Jaeger cannot run here)', () => {
  it('the Collector sends every logs pipeline to Loki over OTLP/HTTP at Loki’s /otlp, and no longer to debug', () => {
    expect(collectorLogsProblems(collector, loki)).toEqual([]);
    expect(collector['service']['pipelines']['logs']['exporters']).toEqual(['otlp_http/loki']);
    expect(collector['exporters']['otlp_http/loki']).toEqual({ endpoint: 'http://loki:3100/otlp' });
  });

  it('Loki keeps structured metadata (tsdb, schema v13) for one tenant; compose and Kubernetes run this file, verbatim', () => {
    expect(lokiConfigProblems(loki)).toEqual([]);
    const configMap = k8sLoki.find((d) => d['kind'] === 'ConfigMap') as { data: Record<string, string> };
    expect(configMap.data['config.yaml']).toBe(lokiText);
    const service = compose.services['loki']!;
    expect(service['command']).toEqual(['-config.file=/etc/loki/config.yaml']);
    expect(service['volumes']).toContain('./deploy/loki/config.yaml:/etc/loki/config.yaml:ro');
    expect(k8sImage(k8sLoki) && (k8sLoki.find((d) => d['kind'] === 'Deployment')!['spec']['template']['spec']['containers'][0]['args'] as string[])).toEqual(['-config.file=/etc/loki/config.yaml']);
  });

  it('the Collector waits for a healthy Loki, which probes itself (distroless image: no shell, no wget)', () => {
    expect(compose.services['otel-collector']!['depends_on']['loki']).toEqual({ condition: 'service_healthy' });
    expect(compose.services['loki']!['healthcheck']['test']).toEqual(['CMD', '/usr/bin/loki', '-health']);
    expect(compose.services['loki']!['profiles']).toBeUndefined();
  });

  it('Loki’s image is pinned, the same in compose and Kubernetes, and listed in deploy/VERSIONS.md', () => {
    expect(lokiImageProblems({ 'docker-compose.yml': compose.services['loki']!['image'], 'deploy/k8s/base/loki.yaml': k8sImage(k8sLoki) }, versions)).toEqual([]);
  });

  it('Grafana: the Loki data source links a line’s trace_id to the Jaeger data source; Jaeger’s links a trace to its Loki records', () => {
    expect(dataSourceLinkProblems(datasources, loki)).toEqual([]);
    const byType = (type: string) => (datasources['datasources'] as Obj[]).find((d) => d['type'] === type)!;
    expect(byType('loki')['jsonData']['derivedFields'][0]['datasourceUid']).toBe(byType('jaeger')['uid']);
    expect(byType('jaeger')['jsonData']['tracesToLogsV2']['datasourceUid']).toBe(byType('loki')['uid']);
    expect(grafanaExpand(byType('jaeger')['jsonData']['tracesToLogsV2']['query'])).toBe('{service_name=~".+"} | trace_id="${__trace.traceId}"');
    // The exemplar link (metric → trace) targets the same Jaeger data source.
    expect(byType('prometheus')['jsonData']['exemplarTraceIdDestinations'][0]['datasourceUid']).toBe(byType('jaeger')['uid']);
  });

  it('the Collector serves its own metrics (otelcol_*) on every interface, and compose’s Prometheus scrapes them as job otel-collector', () => {
    expect(collectorSelfMetricsProblems(collector, prometheus)).toEqual([]);
    const job = (prometheus['scrape_configs'] as Obj[]).find((j) => j['static_configs'][0]['targets'].includes('otel-collector:8888'))!;
    // The job the alert unit tests give the Collector's series (deploy/prometheus/tests/alerts.test.yml).
    expect(job['job_name']).toBe('otel-collector');
    expect(readRepoFile('deploy/prometheus/tests/alerts.test.yml')).toContain('otelcol_exporter_send_failed_spans_total{job="otel-collector"');
  });
});

describe('the log-path checks fail on broken variants', () => {
  const rows: Array<[string, (c: { collector: Obj; loki: Obj; datasources: Obj; prometheus: Obj }) => void, RegExp]> = [
    ['logs ending at debug again', (c) => ((c.collector['exporters']['debug'] = {}), (c.collector['service']['pipelines']['logs']['exporters'] = ['debug'])), /pipeline logs exports to debug, no otlp_http exporter .*still ends at debug/s],
    ['Loki on another port than the Collector sends to', (c) => (c.loki['server']['http_listen_port'] = 3200), /no otlp_http exporter with endpoint http:\/\/loki:3200\/otlp/],
    ['the push path instead of /otlp', (c) => (c.collector['exporters']['otlp_http/loki']['endpoint'] = 'http://loki:3100/loki/api/v1/push'), /no otlp_http exporter with endpoint http:\/\/loki:3100\/otlp/],
    ['a schema without structured metadata', (c) => (c.loki['schema_config']['configs'][0]['schema'] = 'v12'), /not tsdb\/v13/],
    ['structured metadata refused', (c) => (c.loki['limits_config']['allow_structured_metadata'] = false), /OTLP pushes are refused/],
    ['multi-tenant Loki', (c) => (c.loki['auth_enabled'] = true), /auth_enabled is not false/],
    ['the derived field pointing at Prometheus', (c) => (c.datasources['datasources'].find((d: Obj) => d['type'] === 'loki')['jsonData']['derivedFields'][0]['datasourceUid'] = 'prometheus'), /no derived field of the Loki data source links to the Jaeger data source/],
    ['a regex on the line instead of the trace_id label', (c) => Object.assign(c.datasources['datasources'].find((d: Obj) => d['type'] === 'loki')['jsonData']['derivedFields'][0], { matcherType: 'regex', matcherRegex: 'traceID=(\\w+)' }), /not the label trace_id/],
    ['an unescaped macro (Grafana would expand it to nothing)', (c) => (c.datasources['datasources'].find((d: Obj) => d['type'] === 'loki')['jsonData']['derivedFields'][0]['url'] = '${__value.raw}'), /queries Jaeger with "" as Grafana reads it/],
    ['the Jaeger logs link at a wrong uid', (c) => (c.datasources['datasources'].find((d: Obj) => d['type'] === 'jaeger')['jsonData']['tracesToLogsV2']['datasourceUid'] = 'logs'), /tracesToLogsV2 points at logs, not the Loki data source/],
    ['the Jaeger logs link without its custom query', (c) => delete c.datasources['datasources'].find((d: Obj) => d['type'] === 'jaeger')['jsonData']['tracesToLogsV2']['customQuery'], /without customQuery/],
    ['the logs query on a line filter', (c) => (c.datasources['datasources'].find((d: Obj) => d['type'] === 'jaeger')['jsonData']['tracesToLogsV2']['query'] = '{service_name=~".+"} |= "$${__trace.traceId}"'), /does not filter on trace_id/],
    ['the logs query with an unescaped macro', (c) => (c.datasources['datasources'].find((d: Obj) => d['type'] === 'jaeger')['jsonData']['tracesToLogsV2']['query'] = '{service_name=~".+"} | trace_id="${__trace.traceId}"'), /does not filter on trace_id/],
    ['no Loki data source', (c) => (c.datasources['datasources'] = c.datasources['datasources'].filter((d: Obj) => d['type'] !== 'loki')), /0 Loki data sources/],
    ['the Collector’s own metrics on localhost', (c) => (c.collector['service']['telemetry']['metrics']['readers'][0]['pull']['exporter']['prometheus']['host'] = 'localhost'), /bound to localhost/],
    ['no reader for them (the default: localhost)', (c) => delete c.collector['service']['telemetry'], /no Prometheus pull reader/],
    ['Prometheus not scraping them', (c) => (c.prometheus['scrape_configs'] = c.prometheus['scrape_configs'].filter((j: Obj) => j['job_name'] !== 'otel-collector')), /no scrape job for the Collector's own metrics \(otel-collector:8888\)/],
  ];
  it.each(rows)('%s', (_name, mutate, problem) => {
    const broken = clone({ collector, loki, datasources, prometheus });
    mutate(broken);
    const problems = [...collectorLogsProblems(broken.collector, broken.loki), ...lokiConfigProblems(broken.loki), ...dataSourceLinkProblems(broken.datasources, broken.loki), ...collectorSelfMetricsProblems(broken.collector, broken.prometheus)];
    expect(problems.join('\n')).toMatch(problem);
  });

  it.each([
    ['latest', 'grafana/loki:latest', /tag "latest" is not a pin/],
    ['no tag', 'grafana/loki', /no tag/],
    ['a version VERSIONS.md does not list', 'grafana/loki:3.6.0', /grafana\/loki:3.6.0 is not the version deploy\/VERSIONS.md lists/],
    ['another image', 'grafana/tempo:2.9.0', /is not grafana\/loki/],
  ])('Loki image: %s', (_name, image, problem) => {
    expect(lokiImageProblems({ 'docker-compose.yml': image, 'deploy/k8s/base/loki.yaml': k8sImage(k8sLoki) }, versions).join('\n')).toMatch(problem);
  });

  it('grafanaExpand reads provisioning values as Grafana does: $$ is a $, ${NAME} and $NAME are environment variables', () => {
    expect(grafanaExpand('$${__value.raw}')).toBe('${__value.raw}');
    expect(grafanaExpand('${__value.raw}')).toBe('');
    expect(grafanaExpand('a $HOME b ${X}', { HOME: '/h', X: 'x' })).toBe('a /h b x');
    expect(isObject(datasources)).toBe(true);
  });
});
