import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import type { OtlpSignal } from './otlp-wire';

/** The OTLP schema in the `proto/otlp/` folder shipped with the package; `..` works from both `src/` and `dist/`. */
export const protoDir = path.join(__dirname, '..', 'proto', 'otlp');

const serviceFiles = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
];

/** The protobufjs types of the OTLP export requests and responses. */
export interface OtlpProtoTypes {
  /** The loaded root, for callers that need other OTLP messages (e.g. tests building payloads). */
  root: protobuf.Root;
  /** `Export<Signal>ServiceRequest` per signal. */
  request: Record<OtlpSignal, protobuf.Type>;
  /** `Export<Signal>ServiceResponse` per signal. */
  response: Record<OtlpSignal, protobuf.Type>;
  /** The collector's gRPC service per signal (`TraceService`, `MetricsService`, `LogsService`). */
  service: Record<OtlpSignal, protobuf.Service>;
  /**
   * The gRPC path of each service's `Export` method, e.g.
   * `/opentelemetry.proto.collector.trace.v1.TraceService/Export`.
   */
  grpcPath: Record<OtlpSignal, string>;
}

let loaded: OtlpProtoTypes | undefined;

/** Loads the OTLP schema once per process (parsing the .proto files costs a few ms). */
export function loadOtlpProto(): OtlpProtoTypes {
  if (loaded) return loaded;
  const root = new protobuf.Root();
  // The upstream imports are relative to the schema root ("opentelemetry/proto/…").
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target));
  root.loadSync(serviceFiles);
  root.resolveAll();
  const type = (name: string): protobuf.Type => root.lookupType(`opentelemetry.proto.collector.${name}`);
  const service = (name: string): protobuf.Service => root.lookupService(`opentelemetry.proto.collector.${name}`);
  const services = {
    traces: service('trace.v1.TraceService'),
    metrics: service('metrics.v1.MetricsService'),
    logs: service('logs.v1.LogsService'),
  };
  const grpcPath = (s: protobuf.Service): string => {
    const method = s.methods['Export'];
    if (!method) throw new Error(`${s.fullName} has no Export method`);
    // fullName is ".opentelemetry.proto.collector…"; a gRPC path is "/<package>.<Service>/<Method>".
    return `/${s.fullName.replace(/^\./, '')}/${method.name}`;
  };
  loaded = {
    root,
    request: {
      traces: type('trace.v1.ExportTraceServiceRequest'),
      metrics: type('metrics.v1.ExportMetricsServiceRequest'),
      logs: type('logs.v1.ExportLogsServiceRequest'),
    },
    response: {
      traces: type('trace.v1.ExportTraceServiceResponse'),
      metrics: type('metrics.v1.ExportMetricsServiceResponse'),
      logs: type('logs.v1.ExportLogsServiceResponse'),
    },
    service: services,
    grpcPath: { traces: grpcPath(services.traces), metrics: grpcPath(services.metrics), logs: grpcPath(services.logs) },
  };
  return loaded;
}
