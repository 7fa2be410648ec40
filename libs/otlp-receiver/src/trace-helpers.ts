import { attributesInclude, formatValue, truncate } from './match';
import type { Attributes, ReceivedSpan, SpanKindName } from './types';

/** Fields a span must have to match; every given field must match. */
export interface SpanQuery {
  /** Exact name, or a pattern tested against the name. */
  name?: string | RegExp;
  /** Exact `service.name`. */
  serviceName?: string;
  /** Span kind. */
  kind?: SpanKindName;
  /** Trace id (lowercase hex). */
  traceId?: string;
  /** Attributes the span must have with equal values (others are ignored). */
  attributes?: Attributes;
}

/** Selects spans: a predicate, or a {@link SpanQuery}. */
export type SpanMatcher = ((span: ReceivedSpan) => boolean) | SpanQuery;

/** True when `span` matches `matcher`. */
export function matchesSpan(span: ReceivedSpan, matcher: SpanMatcher): boolean {
  if (typeof matcher === 'function') return matcher(span);
  const { name, serviceName, kind, traceId, attributes } = matcher;
  if (name !== undefined && !(typeof name === 'string' ? span.name === name : testPattern(name, span.name))) return false;
  if (serviceName !== undefined && span.serviceName !== serviceName) return false;
  if (kind !== undefined && span.kind !== kind) return false;
  if (traceId !== undefined && span.traceId !== traceId) return false;
  return attributesInclude(span.attributes, attributes);
}

/** `pattern.test` without the `lastIndex` state a global/sticky RegExp would carry between calls. */
export function testPattern(pattern: RegExp, text: string): boolean {
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).test(text);
}

/** Describes a matcher for messages: the query's fields, or the predicate's name. */
export function describeMatcher(matcher: SpanMatcher): string {
  if (typeof matcher === 'function') return matcher.name ? `predicate ${matcher.name}` : 'predicate';
  return formatValue(matcher);
}

const byStart = (a: ReceivedSpan, b: ReceivedSpan): number =>
  a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0;

/** The first span (in received order) matching `matcher`, or `undefined`. */
export function findSpan(spans: readonly ReceivedSpan[], matcher: SpanMatcher): ReceivedSpan | undefined {
  return spans.find((span) => matchesSpan(span, matcher));
}

/** The spans of one trace, sorted by start time. */
export function traceOf(spans: readonly ReceivedSpan[], traceId: string): ReceivedSpan[] {
  return spans.filter((span) => span.traceId === traceId).sort(byStart);
}

/** Spans grouped by `serviceName`, in first-seen order of services and received order within each. */
export function groupByService(spans: readonly ReceivedSpan[]): Map<string, ReceivedSpan[]> {
  const groups = new Map<string, ReceivedSpan[]>();
  for (const span of spans) {
    const group = groups.get(span.serviceName);
    if (group) group.push(span);
    else groups.set(span.serviceName, [span]);
  }
  return groups;
}

/** Direct children of `span` (same trace, `parentSpanId === span.spanId`), sorted by start time. */
export function childrenOf(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  return spans.filter((s) => s.traceId === span.traceId && s.parentSpanId === span.spanId).sort(byStart);
}

/** The parent of `span` among `spans`, or `undefined` for a root or when the parent was not received. */
export function parentOf(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan | undefined {
  if (span.parentSpanId === undefined) return undefined;
  return spans.find((s) => s.traceId === span.traceId && s.spanId === span.parentSpanId);
}

/** Ancestors of `span`, nearest first (stops at a missing parent; cycle-safe). */
export function ancestorsOf(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  const seen = new Set<string>([span.spanId]);
  for (let p = parentOf(spans, span); p && !seen.has(p.spanId); p = parentOf(spans, p)) {
    seen.add(p.spanId);
    out.push(p);
  }
  return out;
}

/** Options of {@link checkParentChild}. */
export interface ParentChildOptions {
  /** `true` (default): the parent must be the direct parent; `false`: any ancestor will do. */
  direct?: boolean;
}

/** Result of {@link checkParentChild}: the matched pair, or a readable explanation. */
export type ParentChildCheck =
  | { ok: true; parent: ReceivedSpan; child: ReceivedSpan; error: undefined }
  | { ok: false; parent: undefined; child: undefined; error: string };

const label = (span: ReceivedSpan): string => `${span.serviceName}: ${span.name} [${span.kind}] (span ${span.spanId})`;

// A received span has a spanId; a SpanQuery never does.
const isSpan = (which: ReceivedSpan | SpanMatcher): which is ReceivedSpan => typeof which !== 'function' && 'spanId' in which;

const candidates = (spans: readonly ReceivedSpan[], which: ReceivedSpan | SpanMatcher): ReceivedSpan[] =>
  isSpan(which) ? [which] : spans.filter((s) => matchesSpan(s, which));

const describeWhich = (which: ReceivedSpan | SpanMatcher): string => (isSpan(which) ? label(which) : describeMatcher(which));

/**
 * Checks that some span matching `parent` is the parent (or, with `direct: false`, an ancestor)
 * of some span matching `child`. Never throws: on failure `error` says what was found instead,
 * followed by the trace tree(s) involved.
 */
export function checkParentChild(
  spans: readonly ReceivedSpan[],
  parent: ReceivedSpan | SpanMatcher,
  child: ReceivedSpan | SpanMatcher,
  options: ParentChildOptions = {},
): ParentChildCheck {
  const direct = options.direct ?? true;
  const parents = candidates(spans, parent);
  const children = candidates(spans, child);
  const fail = (error: string): ParentChildCheck => ({ ok: false, parent: undefined, child: undefined, error });
  const relation = direct ? 'parent' : 'ancestor';

  if (parents.length === 0 || children.length === 0) {
    const missing = parents.length === 0 ? `parent ${describeWhich(parent)}` : `child ${describeWhich(child)}`;
    return fail(`no span matches the ${missing}; received:\n${renderTraceTree(spans)}`);
  }
  for (const c of children) {
    const up = direct ? [parentOf(spans, c)].filter((s) => s !== undefined) : ancestorsOf(spans, c);
    const p = parents.find((candidate) => up.includes(candidate));
    if (p) return { ok: true, parent: p, child: c, error: undefined };
  }
  const actual = children.map((c) => {
    const p = parentOf(spans, c);
    const where = c.parentSpanId === undefined ? 'is a root span' : p ? `has parent ${label(p)}` : `has parent ${c.parentSpanId}, which was not received`;
    return `  ${label(c)} ${where}`;
  });
  const traceIds = new Set([...parents, ...children].map((s) => s.traceId));
  return fail(
    `expected ${describeWhich(parent)} to be the ${relation} of ${describeWhich(child)}, but:\n${actual.join('\n')}\n` +
      `${parents.length} span(s) matched the parent: ${parents.map(label).join('; ')}\n` +
      renderTraceTree(spans.filter((s) => traceIds.has(s.traceId))),
  );
}

/** Like {@link checkParentChild} but throws an Error with the explanation; returns the matched pair. */
export function assertParentChild(
  spans: readonly ReceivedSpan[],
  parent: ReceivedSpan | SpanMatcher,
  child: ReceivedSpan | SpanMatcher,
  options: ParentChildOptions = {},
): { parent: ReceivedSpan; child: ReceivedSpan } {
  const result = checkParentChild(spans, parent, child, options);
  if (!result.ok) throw new Error(result.error);
  return { parent: result.parent, child: result.child };
}

/** Options of {@link renderTraceTree}. */
export interface RenderTreeOptions {
  /** Attribute keys to print after each span, e.g. `['http.route']`. */
  attributes?: string[];
}

function formatSpanLine(span: ReceivedSpan, options: RenderTreeOptions): string {
  let line = `${span.serviceName}: ${span.name} [${span.kind}] ${span.durationMs.toFixed(1)}ms`;
  if (span.status.code === 'ERROR') line += ` ERROR${span.status.message ? `: ${truncate(span.status.message, 60)}` : ''}`;
  for (const key of options.attributes ?? []) {
    if (key in span.attributes) line += ` ${key}=${formatValue(span.attributes[key])}`;
  }
  return line;
}

/**
 * A compact indented text tree of the spans, one block per trace (ordered by start time):
 *
 * ```text
 * trace 4bf92f3577b34da6a3ce929d0e0e4736 (3 spans)
 *   orders: GET /orders [SERVER] 12.3ms
 *     orders: GET [CLIENT] 8.1ms
 *       stock: GET /items [SERVER] 5.0ms ERROR: boom
 * ```
 *
 * Spans whose parent was not received are shown as roots, marked `(parent … not received)`.
 */
export function renderTraceTree(spans: readonly ReceivedSpan[], options: RenderTreeOptions = {}): string {
  if (spans.length === 0) return '(no spans)';
  const traces = new Map<string, ReceivedSpan[]>();
  for (const span of [...spans].sort(byStart)) {
    const list = traces.get(span.traceId);
    if (list) list.push(span);
    else traces.set(span.traceId, [span]);
  }
  const lines: string[] = [];
  for (const [traceId, traceSpans] of traces) {
    lines.push(`trace ${traceId} (${traceSpans.length} span${traceSpans.length === 1 ? '' : 's'})`);
    const ids = new Set(traceSpans.map((s) => s.spanId));
    const printed = new Set<ReceivedSpan>();
    const visit = (span: ReceivedSpan, depth: number, note: string): void => {
      if (printed.has(span)) return;
      printed.add(span);
      lines.push(`${'  '.repeat(depth + 1)}${formatSpanLine(span, options)}${note}`);
      for (const c of traceSpans) if (c.parentSpanId === span.spanId) visit(c, depth + 1, '');
    };
    for (const span of traceSpans) {
      if (span.parentSpanId === undefined) visit(span, 0, '');
      else if (!ids.has(span.parentSpanId)) visit(span, 0, ` (parent ${span.parentSpanId} not received)`);
    }
    // Whatever is left sits in a parent cycle (malformed data); still show it.
    for (const span of traceSpans) visit(span, 0, ' (in a parent cycle)');
  }
  return lines.join('\n');
}
