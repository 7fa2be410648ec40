import { ValueType, metrics } from '@opentelemetry/api';
import type { Counter } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, boundedAttribute, errorTypeOf } from '@mcp/mcp-metrics';
import type { BoundedAttribute } from '@mcp/mcp-metrics';
import { ATTR_MCP_CACHE_BACKEND, ATTR_MCP_CACHE_OPERATION, METRIC_MCP_FRONTEND_CACHE_BYPASS_TOTAL, METRIC_MCP_FRONTEND_LEDGER_OUTBOX_PENDING, METRIC_MCP_FRONTEND_LEDGER_WRITE_FAILURES_TOTAL } from './semconv';

/**
 * The frontend's own metrics: failures of its optional stores that it survives. Construct once per
 * process, after telemetry started (the preload guarantees that; metrics have no proxy provider).
 */
export class FrontendMetrics {
  private readonly cacheBypass: Counter;
  private readonly ledgerFailures: Counter;
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
  }

  recordCacheBypass(operation: 'get' | 'set', backend: string, error: unknown): void {
    this.cacheBypass.add(1, { [ATTR_MCP_CACHE_OPERATION]: operation, [ATTR_MCP_CACHE_BACKEND]: backend, [ATTR_ERROR_TYPE]: this.errorType(errorTypeOf(error)) });
  }

  /** Reports the outbox's pending rows on every collection. */
  observeLedgerOutbox(pending: () => number): void {
    this.meter
      .createObservableGauge(METRIC_MCP_FRONTEND_LEDGER_OUTBOX_PENDING, {
        description: 'Usage rows kept in memory until the PostgreSQL ledger takes them',
        unit: '{row}',
        valueType: ValueType.INT,
      })
      .addCallback((result) => result.observe(pending()));
  }

  recordLedgerWriteFailure(error: unknown): void {
    this.ledgerFailures.add(1, { [ATTR_ERROR_TYPE]: this.errorType(errorTypeOf(error)) });
  }
}
