import { formatValue } from './match';
import { findMetric, metricPoints } from './query-helpers';
import type { TelemetryStore } from './store';
import { summarizeLogs, summarizeMetrics, summarizeSpans } from './summary';
import { describeMatcher, matchesSpan, renderTraceTree } from './trace-helpers';
import type { SpanMatcher } from './trace-helpers';
import type { Attributes, ReceivedLog, ReceivedMetricPoint, ReceivedSpan } from './types';

/** Common options of the `waitFor*` helpers. */
export interface WaitOptions {
  /** How long to wait before rejecting, in ms. Default: the receiver's `defaultTimeoutMs` (10 000). */
  timeoutMs?: number;
}

/** Options of {@link OtlpReceiver.waitForSpans} and {@link OtlpReceiver.waitForLogs} with a predicate. */
export interface WaitForRecordsOptions extends WaitOptions {
  /** How many matching records to wait for. Default 1. */
  count?: number;
  /** Describes the predicate in the timeout message (default: the predicate's name or query). */
  description?: string;
}

/** Options of {@link OtlpReceiver.waitForMetric}. */
export interface WaitForMetricOptions extends WaitOptions {
  /** Only data points whose attributes include these (other attributes ignored). */
  attributes?: Attributes;
  /** Only data points for which this returns true, e.g. `(p) => (p.value ?? 0) >= 3`. */
  predicate?: (point: ReceivedMetricPoint) => boolean;
}

const maxTreeSpansInErrors = 40;
const nearMissesInErrors = 5;

interface Waiter {
  poll(): void;
  fail(reason: string): void;
}

/**
 * The `waitFor*` helpers over a {@link TelemetryStore}: each wait re-evaluates when `poll()` is
 * called (after every accepted request) and rejects on timeout, or on `close()`, with a summary of
 * what did arrive.
 */
export class Waits {
  private readonly waiters = new Set<Waiter>();
  private closedReason: string | undefined;

  constructor(
    private readonly store: TelemetryStore,
    private readonly defaultTimeoutMs: number,
  ) {}

  forSpans(countOrMatcher: number | SpanMatcher, options: WaitForRecordsOptions = {}): Promise<ReceivedSpan[]> {
    const summary = (): string => {
      const spans = this.store.spans;
      const tree = spans.length > 0 && spans.length <= maxTreeSpansInErrors ? `\ntrace tree:\n${renderTraceTree(spans)}` : '';
      return summarizeSpans(spans) + tree;
    };
    if (typeof countOrMatcher === 'number') {
      return this.until('waitForSpans', `${countOrMatcher} span(s)`, options, summary, () =>
        this.store.spans.length >= countOrMatcher ? [...this.store.spans] : undefined,
      );
    }
    const count = options.count ?? 1;
    const what = `${count} span(s) matching ${options.description ?? describeMatcher(countOrMatcher)}`;
    return this.until('waitForSpans', what, options, summary, () => {
      const matching = this.store.spans.filter((span) => matchesSpan(span, countOrMatcher));
      return matching.length >= count ? matching : undefined;
    });
  }

  forMetric(name: string, options: WaitForMetricOptions = {}): Promise<ReceivedMetricPoint> {
    const { attributes, predicate } = options;
    const filters = [attributes ? `attributes ${formatValue(attributes)}` : '', predicate ? 'the predicate' : ''].filter(Boolean);
    const what = `metric ${JSON.stringify(name)}${filters.length > 0 ? ` with ${filters.join(' and ')}` : ''}`;
    const summary = (): string => {
      const named = metricPoints(this.store.metrics, name);
      const near =
        named.length === 0
          ? ''
          : `\n${named.length} point(s) named ${JSON.stringify(name)} did not match, e.g.:\n` +
            named
              .slice(-nearMissesInErrors)
              .map((p) => `  ${formatValue(p.attributes)} value=${formatValue(p.value ?? p.histogram ?? p.exponentialHistogram ?? p.summary)}`)
              .join('\n');
      return summarizeMetrics(this.store.metrics) + near;
    };
    return this.until('waitForMetric', what, options, summary, () =>
      findMetric(predicate ? this.store.metrics.filter(predicate) : this.store.metrics, name, attributes),
    );
  }

  forLogs(countOrPredicate: number | ((log: ReceivedLog) => boolean), options: WaitForRecordsOptions = {}): Promise<ReceivedLog[]> {
    const summary = (): string => summarizeLogs(this.store.logs);
    if (typeof countOrPredicate === 'number') {
      return this.until('waitForLogs', `${countOrPredicate} log record(s)`, options, summary, () =>
        this.store.logs.length >= countOrPredicate ? [...this.store.logs] : undefined,
      );
    }
    const count = options.count ?? 1;
    const described = options.description ?? (countOrPredicate.name ? `predicate ${countOrPredicate.name}` : 'predicate');
    return this.until('waitForLogs', `${count} log record(s) matching ${described}`, options, summary, () => {
      const matching = this.store.logs.filter(countOrPredicate);
      return matching.length >= count ? matching : undefined;
    });
  }

  /** Re-evaluates every pending wait (after new records were stored). */
  poll(): void {
    for (const waiter of [...this.waiters]) waiter.poll();
  }

  /** Rejects every pending wait, and every later one, with `reason`. */
  close(reason: string): void {
    this.closedReason ??= reason;
    for (const waiter of [...this.waiters]) waiter.fail(reason);
  }

  private until<T>(fn: string, what: string, options: WaitOptions, summary: () => string, evaluate: () => T | undefined): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const fail = (reason: string): void => reject(new Error(`${fn}: ${reason} waiting for ${what}.\n${summary()}`));
      if (this.closedReason !== undefined) {
        fail('the receiver is closed');
        return;
      }
      const settle = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        poll: () => {
          let result: T | undefined;
          try {
            result = evaluate();
          } catch (error) {
            settle();
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (result === undefined) return;
          settle();
          resolve(result);
        },
        fail: (reason) => {
          settle();
          fail(reason);
        },
      };
      const timer = setTimeout(() => waiter.fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      this.waiters.add(waiter);
      waiter.poll();
    });
  }
}
