import { loadSemconvCatalog } from '@mcp/telemetry-registry';
import { describe, expect, it } from 'vitest';
import { collectorProblems, type KnownComponents } from './support/collector-checks';
import { clone, isObject, parseYaml, parseYamlDocuments, readRepoFile } from './support/repo';

const known = JSON.parse(readRepoFile('deploy/otel-collector/components.json')) as KnownComponents;
const configText = readRepoFile('deploy/otel-collector/config.yaml');
const config = parseYaml(configText, 'deploy/otel-collector/config.yaml') as Record<string, Record<string, unknown>>;
const conventions = loadSemconvCatalog();

describe('deploy/otel-collector/config.yaml (contrib 0.160.0)', () => {
  it('defines every component it uses, uses every component it defines, with the names of the pinned version', () => {
    expect(collectorProblems(config, known, conventions)).toEqual([]);
  });

  it('groups span metrics by current semantic-conventions keys only, here and in the Kubernetes ConfigMap', () => {
    const docs = parseYamlDocuments(readRepoFile('deploy/k8s/base/otel-collector.yaml'), 'otel-collector.yaml');
    const configMap = docs.find((d) => isObject(d) && d['kind'] === 'ConfigMap') as { data: Record<string, string> };
    for (const [file, checked] of [
      ['deploy/otel-collector/config.yaml', config],
      ['deploy/k8s/base/otel-collector.yaml', parseYaml(configMap.data['config.yaml']!, 'otel-collector ConfigMap')],
    ] as const) {
      const dimensions = ((checked as Record<string, Record<string, { dimensions: Array<{ name: string }> }>>)['connectors']!['span_metrics']!).dimensions;
      expect(dimensions.map((d) => d.name), file).toEqual(['http.request.method', 'http.response.status_code', 'rpc.status_code']);
      expect(collectorProblems(checked, known, conventions).filter((p) => p.includes('dimension')), file).toEqual([]);
    }
  });

  it('pins the same version as the images that run it', () => {
    expect(readRepoFile('deploy/otel-collector/Dockerfile')).toContain(`otel/opentelemetry-collector-contrib:${known.version}`);
    expect(readRepoFile('deploy/k8s/base/otel-collector.yaml')).toContain(`otel/opentelemetry-collector-contrib:${known.version}`);
  });

  it('sends traces to Jaeger over OTLP/gRPC, span metrics and metrics to the Prometheus exporter, logs to Loki, and drops PII-like attributes in every pipeline', () => {
    const service = config['service'] as { pipelines: Record<string, { processors: string[]; exporters: string[] }> };
    expect(service.pipelines['traces']?.exporters).toEqual(['otlp_grpc/jaeger', 'span_metrics']);
    expect(service.pipelines['metrics']?.exporters).toEqual(['prometheus']);
    expect(service.pipelines['logs']?.exporters).toEqual(['otlp_http/loki']); // Loki; checked further in logs.test.ts
    for (const pipeline of Object.values(service.pipelines)) expect(pipeline.processors).toContain('attributes/drop-pii');
    expect(config['exporters']?.['otlp_grpc/jaeger']).toMatchObject({ endpoint: 'jaeger:4317' });
  });

  it('is the config the Kubernetes ConfigMap carries, verbatim', () => {
    const docs = parseYamlDocuments(readRepoFile('deploy/k8s/base/otel-collector.yaml'), 'otel-collector.yaml');
    const configMap = docs.find((d) => isObject(d) && d['kind'] === 'ConfigMap') as { data: Record<string, string> };
    expect(configMap.data['config.yaml']).toBe(configText);
  });

  it('Jaeger: every pipeline component is defined, the UI binds 16686, the Monitor tab reads the span metrics namespace', () => {
    const jaeger = parseYaml(readRepoFile('deploy/jaeger/config.yaml'), 'deploy/jaeger/config.yaml') as Record<string, Record<string, unknown>>;
    const pipelines = (jaeger['service'] as { pipelines: Record<string, Record<string, string[]>> }).pipelines;
    for (const pipeline of Object.values(pipelines)) {
      for (const kind of ['receivers', 'processors', 'exporters']) for (const id of pipeline[kind] ?? []) expect(Object.keys(jaeger[kind] ?? {})).toContain(id);
    }
    const query = (jaeger['extensions'] as Record<string, Record<string, Record<string, string>>>)['jaeger_query']!;
    expect(query['http']?.['endpoint']).toBe('0.0.0.0:16686');
    expect(JSON.stringify(jaeger['extensions'])).toContain('"metric_namespace":"traces_span_metrics"');
    const docs = parseYamlDocuments(readRepoFile('deploy/k8s/base/jaeger.yaml'), 'jaeger.yaml');
    const configMap = docs.find((d) => isObject(d) && d['kind'] === 'ConfigMap') as { data: Record<string, string> };
    expect(configMap.data['config.yaml']).toBe(readRepoFile('deploy/jaeger/config.yaml'));
  });
});

describe('the Collector checks fail on broken variants', () => {
  type Config = Record<string, Record<string, unknown>>;
  const pipelines = (c: Config) => (c['service'] as { pipelines: Record<string, Record<string, string[]>> }).pipelines;
  const spanDimensions = (c: Config) => (c['connectors']!['span_metrics'] as { dimensions: Array<{ name: string }> }).dimensions;
  const rows: Array<[string, (c: Config) => void, RegExp]> = [
    ['a pipeline exporter that is not defined', (c) => pipelines(c)['logs']!['exporters']!.push('otlp_http/elsewhere'), /exporter otlp_http\/elsewhere is not defined/],
    ['a pipeline processor that is not defined', (c) => pipelines(c)['traces']!['processors']!.splice(1, 0, 'tail_sampling'), /processor tail_sampling is not defined/],
    ['the deprecated otlp exporter name', (c) => ((c['exporters']!['otlp/jaeger'] = c['exporters']!['otlp_grpc/jaeger']), delete c['exporters']!['otlp_grpc/jaeger'], (pipelines(c)['traces']!['exporters'] = ['otlp/jaeger', 'span_metrics'])), /"otlp" is a deprecated alias .* use "otlp_grpc"/],
    ['the deprecated spanmetrics name', (c) => ((c['connectors']!['spanmetrics'] = {}), delete c['connectors']!['span_metrics'], (pipelines(c)['traces']!['exporters'] = ['otlp_grpc/jaeger', 'spanmetrics']), (pipelines(c)['metrics']!['receivers'] = ['otlp', 'spanmetrics'])), /"spanmetrics" is a deprecated alias/],
    ['a component unknown to the pinned version', (c) => (c['processors']!['k8s_attributez'] = {}), /"k8s_attributez" is not a known processor/],
    ['memory_limiter not first', (c) => (pipelines(c)['metrics']!['processors'] = ['attributes/drop-pii', 'memory_limiter', 'batch']), /memory_limiter is not the first processor/],
    ['no memory_limiter', (c) => (pipelines(c)['logs']!['processors'] = ['batch']), /pipeline logs: memory_limiter is not the first/],
    ['a receiver without an explicit endpoint', (c) => (((c['receivers']!['otlp'] as Record<string, Record<string, unknown>>)['protocols']!['grpc'] = {})), /receivers.otlp.grpc: no explicit endpoint/],
    ['a receiver bound to localhost', (c) => (((c['receivers']!['otlp'] as Record<string, Record<string, unknown>>)['protocols']!['http'] = { endpoint: 'localhost:4318' })), /not reachable from other containers/],
    ['health_check not enabled', (c) => ((c['service'] as Record<string, unknown>)['extensions'] = []), /health_check extension is not enabled/],
    ['health_check on localhost', (c) => (c['extensions']!['health_check'] = { endpoint: 'localhost:13133' }), /bind 0.0.0.0/],
    ['a connector used on one side only', (c) => (pipelines(c)['metrics']!['receivers'] = ['otlp']), /connector span_metrics must be an exporter of one pipeline and a receiver of another/],
    ['a span metrics dimension deprecated by the conventions', (c) => spanDimensions(c).push({ name: 'rpc.grpc.status_code' }), /dimension rpc\.grpc\.status_code is deprecated in the semantic conventions .*`rpc\.status_code`/],
    ['a span metrics dimension no convention defines', (c) => spanDimensions(c).push({ name: 'rpc.grpc.status' }), /dimension "rpc.grpc.status" is not an attribute of the semantic conventions/],
    ['a defined component no pipeline uses', (c) => (c['exporters']!['file'] = { path: '/tmp/x' }), /exporters.file is defined but used by no pipeline/],
  ];
  it.each(rows)('%s', (_name, mutate, problem) => {
    const broken = clone(config);
    mutate(broken);
    expect(collectorProblems(broken, known, conventions).join('\n')).toMatch(problem);
  });
});
