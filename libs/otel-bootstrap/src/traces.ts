import { randomFillSync } from 'node:crypto';
import type { Context, Link, Span, SpanKind, Tracer } from '@opentelemetry/api';
import type { IdGenerator, Sampler, SamplingResult, SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import { definedOnly, type BatchSettings, type ResolvedConfig } from './config';
import { otlpSpanExporter } from './exporters';
import { load } from './packages';
import { semconvMigrationSpanProcessor } from './semconv-migration';

/**
 * The tracer provider of OTEL_TRACES_EXPORTER (none: no provider, and sdk-trace is never loaded),
 * sampled by OTEL_TRACES_SAMPLER, limited by the OTEL_*_LIMIT variables. `selfMetrics`: the SDK
 * counts its spans (started, live, processed, dropped) there, when OTEL_NODE_EXPERIMENTAL_SDK_METRICS is on.
 */
export function createTracerProvider(config: ResolvedConfig, resource: Resource, selfMetrics: MeterProvider | undefined): TracerProvider | undefined {
  if (config.traces.exporters.length === 0) return undefined;
  const t = load.sdkTrace();
  const exporting: SpanProcessor[] = config.traces.exporters.map((name) =>
    name === 'console'
      ? new t.SimpleSpanProcessor({ exporter: new t.ConsoleSpanExporter() })
      : new t.BatchSpanProcessor({
          exporter: otlpSpanExporter(config.traces.protocol),
          ...spanBatchSettings(config.traces.batch),
          ...(selfMetrics && { selfObsMeterProvider: selfMetrics }),
        }),
  );
  // Current semantic conventions on what upstream instrumentations still emit the old way.
  const spanProcessors = [semconvMigrationSpanProcessor(config.traces.keepOldRpcKeys, config.traces.keepOldMessagingKeys), ...exporting];
  // With self-metrics the SDK counts every span it starts, dropped ones too: no shortcut then.
  const sampler = createSampler(config.sampler);
  const ids = new PooledRandomIdGenerator();
  const rootRatio = config.sampler.name.endsWith('traceidratio') ? traceIdRatioBound(config.sampler.ratio) : undefined;
  const shortcut = selfMetrics ? undefined : new DroppedSpanShortcut(sampler, ids, rootRatio);
  const provider = new t.TracerProvider({
    resource,
    sampler: shortcut?.sampler ?? sampler,
    idGenerator: shortcut?.idGenerator ?? ids,
    spanProcessors,
    spanLimits: config.traces.spanLimits,
    ...(selfMetrics && { meterProvider: selfMetrics }),
  });
  if (shortcut) shortcuts.set(provider, shortcut);
  return provider;
}

const shortcuts = new WeakMap<object, DroppedSpanShortcut>();

/** The shortcut of a tracer provider this module made (none for any other provider, or with SDK self-metrics). */
export function droppedSpanShortcutOf(provider: object): DroppedSpanShortcut | undefined {
  return shortcuts.get(provider);
}

/**
 * Starts a span by asking the provider's sampler first: a span it drops is made here, a
 * non-recording span with fresh ids (the SDK's would be the same: its trace id, a new span id, flags
 * NONE, the sampler's or the parent's trace state), without the SDK's `startSpan` around it — its
 * self-metrics bookkeeping, link and attribute copies and debug log cost about as much as the
 * decision (BENCHMARKS.md, issue 15 item 1). A span it records is started by the SDK, which gets
 * this decision and this trace id handed over through the provider's sampler and id generator
 * (`sampler`, `idGenerator` here), so the sampler is asked exactly once per span.
 *
 * With a ratio sampler configured (`traceidratio`, `parentbased_traceidratio`: `rootRatio`, its
 * {@link traceIdRatioBound}), a span whose trace id is drawn here (no valid parent: the ratio
 * decides, parent-based or not) is decided from the id's bytes, without the sampler: its decision
 * for an id is `isValidTraceId(id) && xor of the id's four 32-bit words < bound`, and a drawn id is
 * always valid (traces.test.ts proves the same decisions). The start-up root spans still go to it.
 */
export class DroppedSpanShortcut {
  /** The provider's sampler: answers a decision already made for this trace id, else asks the configured one. */
  readonly sampler: Sampler;
  /** The provider's id generator: a trace id already drawn for the span being started, else a fresh one. */
  readonly idGenerator: IdGenerator;
  private decided: { traceId: string; result: SamplingResult } | undefined;
  private drawnTraceId: string | undefined;
  private readonly api = apiForShortcut();

  constructor(
    private readonly configured: Sampler,
    private readonly ids: PooledRandomIdGenerator,
    private readonly rootRatio?: number,
  ) {
    this.sampler = {
      shouldSample: (context, traceId, spanName, spanKind, attributes, links) => {
        const decided = this.decided;
        this.decided = undefined;
        if (decided !== undefined && decided.traceId === traceId) return decided.result;
        return configured.shouldSample(context, traceId, spanName, spanKind, attributes, links);
      },
      toString: () => configured.toString(),
    };
    this.idGenerator = {
      generateTraceId: () => {
        const drawn = this.drawnTraceId;
        if (drawn === undefined) return ids.generateTraceId();
        this.drawnTraceId = undefined;
        return drawn;
      },
      generateSpanId: () => ids.generateSpanId(),
    };
  }

  /** `tracer.startSpan(name, { kind, links }, parent)`, for a tracer of the provider this shortcut belongs to. */
  startSpan(tracer: Tracer, name: string, kind: SpanKind, links: Link[] | undefined, parent: Context): Span {
    const { trace, isTracingSuppressed } = this.api;
    if (isTracingSuppressed(parent)) return tracer.startSpan(name, { kind, links }, parent);
    const parentSpanContext = trace.getSpanContext(parent);
    const validParent = parentSpanContext !== undefined && trace.isSpanContextValid(parentSpanContext) ? parentSpanContext : undefined;
    const traceId = validParent?.traceId ?? this.ids.generateTraceId();
    const result =
      validParent === undefined && this.rootRatio !== undefined && !(parentSpanContext === undefined && STARTUP_ROOT_SPAN_NAMES.has(name))
        ? this.ids.lastTraceIdFold < this.rootRatio
          ? this.api.RATIO_SAMPLED
          : this.api.RATIO_DROPPED
        : // The samplers configured here read neither attributes nor links (none is given at creation).
          this.configured.shouldSample(parent, traceId, name, kind, {}, links ?? []);
    if (result.decision === this.api.NOT_RECORD) {
      const traceState = result.traceState ?? validParent?.traceState;
      return trace.wrapSpanContext({ traceId, spanId: this.ids.generateSpanId(), traceFlags: this.api.TRACE_FLAGS_NONE, traceState });
    }
    this.decided = { traceId, result };
    if (validParent === undefined) this.drawnTraceId = traceId;
    try {
      return tracer.startSpan(name, { kind, links }, parent);
    } finally {
      this.decided = undefined;
      this.drawnTraceId = undefined;
    }
  }
}

/**
 * The bound sdk-trace's TraceIdRatioBasedSampler compares a trace id's folded words with: the ratio
 * clamped to [0, 1] (not a number: 0), then 2^32 for 1, else ⌊ratio × (2^32 − 1)⌋.
 */
export function traceIdRatioBound(ratio: number): number {
  const clamped = Number.isNaN(ratio) ? 0 : Math.min(Math.max(ratio, 0), 1);
  return clamped === 1 ? 2 ** 32 : Math.floor(clamped * 0xffffffff);
}

/** What the shortcut uses of the API and core, read once (this module loads neither until the SDK starts). */
function apiForShortcut() {
  const { trace, SamplingDecision, TraceFlags } = load.api();
  const { isTracingSuppressed } = load.core();
  // The ratio sampler's answers: a decision, nothing else (no attributes, no trace state).
  const RATIO_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
  const RATIO_DROPPED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });
  return { trace, isTracingSuppressed, NOT_RECORD: SamplingDecision.NOT_RECORD, TRACE_FLAGS_NONE: TraceFlags.NONE, RATIO_SAMPLED, RATIO_DROPPED };
}

const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

/**
 * Trace and span ids cut from a pool of cryptographically random bytes, refilled 8 KiB at a time:
 * one `toString('hex')` per id, where the SDK's RandomIdGenerator makes two to four `Math.random()`
 * calls and buffer writes per id — every request pays for two ids, sampled or not (BENCHMARKS.md).
 * As the specification requires, an id is never all zeros.
 */
export class PooledRandomIdGenerator implements IdGenerator {
  private readonly pool = Buffer.allocUnsafeSlow(8192);
  private offset = this.pool.length;
  /** The last trace id's four 32-bit words (big-endian, as its hex reads) XORed: what a ratio sampler decides on. */
  lastTraceIdFold = 0;

  generateTraceId(): string {
    const id = this.next(16);
    this.lastTraceIdFold = traceIdFold(this.pool, this.offset - 16);
    return id;
  }

  generateSpanId(): string {
    return this.next(8);
  }

  private next(bytes: number): string {
    if (this.offset + bytes > this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const id = this.pool.toString('hex', this.offset, (this.offset += bytes));
    return id === (bytes === 16 ? INVALID_TRACE_ID : INVALID_SPAN_ID) ? this.next(bytes) : id;
  }
}

/** The four big-endian 32-bit words of the 16 bytes at `at`, XORed (unsigned). */
export function traceIdFold(bytes: Buffer, at: number): number {
  return (bytes.readUInt32BE(at) ^ bytes.readUInt32BE(at + 4) ^ bytes.readUInt32BE(at + 8) ^ bytes.readUInt32BE(at + 12)) >>> 0;
}

/**
 * Root spans that libraries make on their own at start-up, outside any request (the redis client's
 * connect, graphql building a schema): one useless trace each per process start. Spans of the same
 * names inside a request are kept.
 */
export const STARTUP_ROOT_SPAN_NAMES: ReadonlySet<string> = new Set(['redis-connect', 'graphql.parseSchema']);

function createSampler(settings: ResolvedConfig['sampler']): Sampler {
  const api = load.api();
  const configured = createConfiguredSampler(settings);
  return {
    shouldSample(context, traceId, spanName, spanKind, attributes, links) {
      if (STARTUP_ROOT_SPAN_NAMES.has(spanName) && !api.trace.getSpanContext(context)) {
        return { decision: api.SamplingDecision.NOT_RECORD };
      }
      return configured.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    },
    toString: () => `DropStartupRootSpans{${configured.toString()}}`,
  };
}

function createConfiguredSampler({ name, ratio }: ResolvedConfig['sampler']): Sampler {
  const t = load.sdkTrace();
  switch (name) {
    case 'always_on':
      return new t.AlwaysOnSampler();
    case 'always_off':
      return new t.AlwaysOffSampler();
    case 'traceidratio':
      return new t.TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new t.ParentBasedSampler({ root: new t.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new t.ParentBasedSampler({ root: new t.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new t.ParentBasedSampler({ root: new t.TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * The specification's batch defaults (queue 2048, batch 512, one export in flight) drop spans from
 * about 10 k spans/s on: a queue of 2048 is ~100 ms of headroom at 20 k/s, less than one slow
 * export. Measured with tools/bench (export path, 20 k spans/s): 911–17 196 of 80 k spans dropped
 * with the defaults, 0–5 478 with these; larger batches also halve the export requests. The
 * OTEL_BSP_* variables still win; a smaller queue set there also caps the batch.
 */
export const SPAN_QUEUE_SIZE = 8192;
export const SPAN_BATCH_SIZE = 1024;

function spanBatchSettings(batch: BatchSettings): Partial<BatchSettings> {
  const maxQueueSize = batch.maxQueueSize ?? SPAN_QUEUE_SIZE;
  return { ...definedOnly(batch), maxQueueSize, maxExportBatchSize: batch.maxExportBatchSize ?? Math.min(SPAN_BATCH_SIZE, maxQueueSize) };
}
