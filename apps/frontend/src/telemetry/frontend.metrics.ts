import { ValueType, metrics } from '@opentelemetry/api';
import type { Counter } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, boundedAttribute, errorTypeOf } from '@mcp/mcp-metrics';
import type { BoundedAttribute } from '@mcp/mcp-metrics';
import {
  ATTR_MCP_CACHE_BACKEND,
  ATTR_MCP_CACHE_OPERATION,
  ATTR_MCP_OTLP_PROXY_OUTCOME,
  METRIC_MCP_FRONTEND_CACHE_BYPASS_TOTAL,
  METRIC_MCP_FRONTEND_LEDGER_OUTBOX_PENDING,
  METRIC_MCP_FRONTEND_LEDGER_WRITE_FAILURES_TOTAL,
  METRIC_MCP_FRONTEND_OTLP_PROXY_REQUESTS_TOTAL,
  METRIC_MCP_FRONTEND_OTLP_PROXY_SPANS_TOTAL,
} from './semconv';

/**
 * The frontend's own metrics: failures of its optional stores that it survives. Construct once per
 * process, after telemetry started (the preload guarantees that; metrics have no proxy provider).
 */
export class FrontendMetrics {
  private readonly cacheBypass: Counter;
  private readonly ledgerFailures: Counter;
  private readonly otlpProxyRequests: Counter;
  private readonly otlpProxySpans: Counter;
  private readonly errorType: BoundedAttribute;
  private readonly meter = metrics.getMeter('frontend');

  constructor() {
    const meter = this.meter;
    this.errorType = boundedAttribute({ maxValues: 20, overflowValue: '_OTHER' });
    this.cacheBypass = meter.createCounter(METRIC_MCP_FRONTEND_CACHE_BYPASS_TOTAL, {
      description: 'Cache calls skipped because the cache failed; the request was served without it',
      unit: '{request}',
      valueType: ValueType.INT,
    });
    this.ledgerFailures = meter.createCounter(METRIC_MCP_FRONTEND_LEDGER_WRITE_FAILURES_TOTAL, {
      description: 'Usage rows that could not be written to the ledger',
      unit: '{row}',
      valueType: ValueType.INT,
    });
    this.otlpProxyRequests = meter.createCounter(METRIC_MCP_FRONTEND_OTLP_PROXY_REQUESTS_TOTAL, {
      description: 'Browser trace exports received by the OTLP proxy, by what it did with them',
      unit: '{request}',
      valueType: ValueType.INT,
    });
    this.otlpProxySpans = meter.createCounter(METRIC_MCP_FRONTEND_OTLP_PROXY_SPANS_TOTAL, {
      description: 'Browser spans the OTLP proxy forwarded to the collector',
      unit: '{span}',
      valueType: ValueType.INT,
    });
  }

  recordOtlpProxyRequest(outcome: 'forwarded' | 'rewritten' | 'refused', spans: number): void {
    this.otlpProxyRequests.add(1, { [ATTR_MCP_OTLP_PROXY_OUTCOME]: outcome });
    if (spans > 0) this.otlpProxySpans.add(spans, { [ATTR_MCP_OTLP_PROXY_OUTCOME]: outcome });
  }

  recordCacheBypass(operation: 'get' | 'set', backend: string, error: unknown): void {
    this.cacheBypass.add(1, { [ATTR_MCP_CACHE_OPERATION]: operation, [ATTR_MCP_CACHE_BACKEND]: backend, [ATTR_ERROR_TYPE]: this.errorType(errorTypeOf(error)) });
  }

  /** Reports the outbox's pending rows on every collection. */
  observeLedgerOutbox(pending: () => number): void {
    this.meter
      .createObservableGauge(METRIC_MCP_FRONTEND_LEDGER_OUTBOX_PENDING, {
        description: 'Usage rows kept in the outbox file until the PostgreSQL ledger takes them',
        unit: '{row}',
        valueType: ValueType.INT,
      })
      .addCallback((result) => result.observe(pending()));
  }

  recordLedgerWriteFailure(error: unknown): void {
    this.ledgerFailures.add(1, { [ATTR_ERROR_TYPE]: this.errorType(errorTypeOf(error)) });
  }
}
