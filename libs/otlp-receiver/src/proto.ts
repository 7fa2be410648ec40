import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import type { OtlpSignal } from './types';

/** The `proto/` folder shipped with the package; `..` works from both `src/` and `dist/`. */
export const protoDir = path.join(__dirname, '..', 'proto');

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
  };
  return loaded;
}
