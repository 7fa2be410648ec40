import { decodeExportRequest } from '@mcp/contracts';
import { truncate } from './match';
import { flattenLogs, flattenMetrics, flattenSpans } from './normalize';
import { makeTester, scanRawBody, scanRecords } from './scan';
import type { OtlpEncoding, OtlpSignal, ReceivedLog, ReceivedMetricPoint, ReceivedSpan, RequestStats, ScanHit, SignalRequestStats } from './types';
import type { WireLogsRequest, WireMetricsRequest, WireTraceRequest } from '@mcp/contracts';

type ReceivedRecord = ReceivedSpan | ReceivedMetricPoint | ReceivedLog;

/** One accepted request: its records, and its raw body for the `scanFor` fallback. */
interface AcceptedRequest {
  signal: OtlpSignal;
  body: Buffer;
  records: readonly ReceivedRecord[];
}

/** The outcome of {@link TelemetryStore.ingest}; `reason` is fit for a 400 / `INVALID_ARGUMENT` answer. */
export type IngestResult = { ok: true } | { ok: false; reason: string };

const emptySignalStats = (): SignalRequestStats => ({ protobuf: 0, json: 0, grpc: 0, gzip: 0, accepted: 0, faulted: 0, invalid: 0 });
const emptyStats = (): RequestStats => ({ traces: emptySignalStats(), metrics: emptySignalStats(), logs: emptySignalStats(), notFound: 0, total: 0 });

/**
 * What the receiver has accepted — spans, metric points, log records, the raw requests — and the
 * request counters, which the transports update as they answer.
 */
export class TelemetryStore {
  private spanList: ReceivedSpan[] = [];
  private metricList: ReceivedMetricPoint[] = [];
  private logList: ReceivedLog[] = [];
  private accepted: AcceptedRequest[] = [];
  /** The live counters; read a copy through `statsSnapshot()`. */
  stats: RequestStats = emptyStats();

  /** The stored spans themselves (not a copy): for the waits, which read them on every poll. */
  get spans(): readonly ReceivedSpan[] {
    return this.spanList;
  }

  get metrics(): readonly ReceivedMetricPoint[] {
    return this.metricList;
  }

  get logs(): readonly ReceivedLog[] {
    return this.logList;
  }

  statsSnapshot(): RequestStats {
    return structuredClone(this.stats);
  }

  /** Forgets every record, request and counter. */
  reset(): void {
    this.spanList = [];
    this.metricList = [];
    this.logList = [];
    this.accepted = [];
    this.stats = emptyStats();
  }

  /** Decodes, flattens and stores one uncompressed request body, counting it accepted or invalid. */
  ingest(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer): IngestResult {
    const stats = this.stats[signal];
    let records: ReceivedRecord[];
    try {
      const decoded = decodeExportRequest(signal, encoding, body);
      records =
        signal === 'traces'
          ? flattenSpans(decoded as WireTraceRequest, encoding)
          : signal === 'metrics'
            ? flattenMetrics(decoded as WireMetricsRequest, encoding)
            : flattenLogs(decoded as WireLogsRequest, encoding);
    } catch (error) {
      stats.invalid++;
      const reason = truncate(error instanceof Error ? error.message : String(error), 300);
      return { ok: false, reason: `cannot decode OTLP ${signal} request (${encoding}): ${reason}` };
    }
    if (signal === 'traces') this.spanList.push(...(records as ReceivedSpan[]));
    else if (signal === 'metrics') this.metricList.push(...(records as ReceivedMetricPoint[]));
    else this.logList.push(...(records as ReceivedLog[]));
    this.accepted.push({ signal, body, records });
    stats.accepted++;
    return { ok: true };
  }

  /**
   * Every string of every accepted record matching `needle`, and the raw body of each request none
   * of whose records matched (so fields the flattening leaves out are covered too).
   */
  scanFor(needle: string | RegExp): ScanHit[] {
    const test = makeTester(needle);
    const hits: ScanHit[] = [];
    const seen = new Set<string>();
    for (const request of this.accepted) {
      if (scanRecords(request.signal, request.records, test, hits, seen) > 0) continue;
      const hit = scanRawBody(request.signal, request.body, needle, test);
      if (hit) hits.push(hit);
    }
    return hits;
  }
}
