import type { WireAnyValue, WireKeyValue, WireSpan, WireTraceRequest } from '@mcp/contracts';

/**
 * What a browser may put in one trace export. The web page's SDK (libs/otel-web) batches at most 256
 * spans and sets three resource attributes; everything here is generous for it and tight for a forger.
 */
export const BROWSER_TRACE_LIMITS = {
  /** Spans per request; more is refused. */
  maxSpans: 512,
  /** Attributes per span; beyond, dropped (counted in `droppedAttributesCount`). */
  maxSpanAttributes: 64,
  /** Attributes per event and per link. */
  maxEventAttributes: 16,
  maxEventsPerSpan: 64,
  maxLinksPerSpan: 16,
  maxKeyLength: 128,
  /** String values (and each string of an array) are cut to this many characters. */
  maxValueLength: 1_024,
  maxArrayLength: 64,
  /** Span, event and scope names. */
  maxNameLength: 256,
  /** W3C tracestate is at most 512 characters. */
  maxTraceStateLength: 512,
  /** A span may start at most this long before the server's clock (browsers' clocks drift)… */
  maxPastMs: 24 * 3_600_000,
  /** …or this long after it. */
  maxFutureMs: 3_600_000,
  maxDurationMs: 24 * 3_600_000,
} as const;

/** The resource every browser span gets: set here, not by the client. */
export const BROWSER_SERVICE_NAME = 'web';

/** Resource attributes a browser may keep, each with the only values accepted. */
const KEPT_RESOURCE_ATTRIBUTES: Record<string, RegExp> = {
  'telemetry.sdk.language': /^webjs$/,
  'telemetry.sdk.name': /^opentelemetry$/,
  'telemetry.sdk.version': /^\d{1,4}\.\d{1,4}\.\d{1,4}(-[0-9A-Za-z.-]{1,32})?$/,
  'service.version': /^[0-9A-Za-z.+_-]{1,64}$/,
};

/** What was changed in an accepted request (all zero: forwarded as it came, re-encoded). */
export interface BrowserTraceRewrites {
  /** Resource attributes replaced or removed (a forged `service.name` counts one). */
  resourceAttributes: number;
  /** Span, event, link and scope attributes dropped (over the count, key too long, not a primitive or array of primitives, duplicate). */
  attributesDropped: number;
  /** String values, names, status messages cut to their limit. */
  valuesTruncated: number;
  eventsDropped: number;
  linksDropped: number;
}

export type BrowserTraceVerdict =
  | { ok: true; request: WireTraceRequest; spans: number; rewrites: BrowserTraceRewrites }
  | { ok: false; reason: string };

/** Spans and their parts as decoded, with the dropped-count fields the wire types leave out. */
type Counted<T> = T & { droppedAttributesCount?: number };
type SpanIn = Counted<WireSpan> & { droppedEventsCount?: number; droppedLinksCount?: number };

class Refused extends Error {}

/**
 * Checks and rewrites one decoded OTLP trace export from a browser: refused (a reason fit for a 400)
 * when something cannot be right — no spans or too many, an id of the wrong length or all zero, a time
 * that is zero, backwards or far from the server's clock, an unknown kind or status code — and
 * otherwise rewritten where the client must not decide: the resource is the server's (`service.name`
 * `web`, and only the sane SDK attributes of the client's), attributes, events and links bounded,
 * strings cut, scope attributes and schema URLs removed. Anything that is not a trace (fields of other
 * signals, unknown fields) is already gone: decoding keeps only ExportTraceServiceRequest's fields.
 */
export function checkBrowserTraces(request: WireTraceRequest, nowMs: number): BrowserTraceVerdict {
  const rewrites: BrowserTraceRewrites = { resourceAttributes: 0, attributesDropped: 0, valuesTruncated: 0, eventsDropped: 0, linksDropped: 0 };
  const limits = BROWSER_TRACE_LIMITS;
  const spanCount = (request.resourceSpans ?? []).reduce((n, rs) => n + (rs.scopeSpans ?? []).reduce((m, ss) => m + (ss.spans ?? []).length, 0), 0);
  if (spanCount === 0) return { ok: false, reason: 'the request has no spans: only trace data is accepted here' };
  if (spanCount > limits.maxSpans) return { ok: false, reason: `too many spans in one request: ${spanCount} (at most ${limits.maxSpans})` };
  const window = { earliestNs: BigInt(nowMs - limits.maxPastMs) * 1_000_000n, latestNs: BigInt(nowMs + limits.maxFutureMs) * 1_000_000n };

  const truncate = (text: string | undefined, max: number): string | undefined => {
    if (text === undefined || text.length <= max) return text;
    rewrites.valuesTruncated += 1;
    return text.slice(0, max);
  };

  /** A primitive value, strings cut; undefined for anything else (not an attribute value). */
  const primitive = (value: WireAnyValue | undefined): WireAnyValue | undefined => {
    if (value === undefined) return undefined;
    if (value.stringValue !== undefined) return { stringValue: truncate(value.stringValue, limits.maxValueLength) as string };
    if (value.boolValue !== undefined) return { boolValue: value.boolValue };
    if (value.intValue !== undefined) return { intValue: value.intValue };
    if (value.doubleValue !== undefined) return { doubleValue: value.doubleValue };
    return undefined;
  };

  const attributeValue = (value: WireAnyValue | undefined): WireAnyValue | undefined => {
    if (value?.arrayValue === undefined) return primitive(value);
    const items = value.arrayValue.values ?? [];
    const kept: WireAnyValue[] = [];
    for (const item of items.slice(0, limits.maxArrayLength)) {
      const p = primitive(item);
      if (p === undefined) return undefined;
      kept.push(p);
    }
    if (items.length > limits.maxArrayLength) rewrites.valuesTruncated += 1;
    return { arrayValue: { values: kept } };
  };

  /** The attributes kept (at most `max`), and how many were dropped. */
  const bound = (attributes: WireKeyValue[] | undefined, max: number): { attributes: WireKeyValue[]; dropped: number } => {
    const kept: WireKeyValue[] = [];
    const seen = new Set<string>();
    let dropped = 0;
    for (const { key, value } of attributes ?? []) {
      const sane = kept.length < max && key !== undefined && key.length > 0 && key.length <= limits.maxKeyLength && !seen.has(key) ? attributeValue(value) : undefined;
      if (sane === undefined || key === undefined) {
        dropped += 1;
        continue;
      }
      seen.add(key);
      kept.push({ key, value: sane });
    }
    rewrites.attributesDropped += dropped;
    return { attributes: kept, dropped };
  };

  const id = (bytes: Uint8Array | undefined, length: number, what: string): Uint8Array => {
    if (bytes === undefined || bytes.length !== length) throw new Refused(`${what} must be ${length} bytes (${length * 2} hex digits), got ${bytes?.length ?? 0}`);
    if (bytes.every((b) => b === 0)) throw new Refused(`${what} must not be all zero`);
    return bytes;
  };

  const time = (value: string | undefined, what: string): bigint => {
    const ns = /^\d{1,20}$/.test(value ?? '') ? BigInt(value as string) : 0n;
    if (ns === 0n) throw new Refused(`${what} is missing`);
    if (ns < window.earliestNs || ns > window.latestNs) throw new Refused(`${what} is more than ${limits.maxPastMs / 3_600_000} h before or ${limits.maxFutureMs / 3_600_000} h after the server's clock`);
    return ns;
  };

  const span = (s: SpanIn, index: number): SpanIn => {
    const where = `span ${index}`;
    const start = time(s.startTimeUnixNano, `${where}: start time`);
    const end = time(s.endTimeUnixNano, `${where}: end time`);
    if (end < start) throw new Refused(`${where}: ends before it starts`);
    if (end - start > BigInt(limits.maxDurationMs) * 1_000_000n) throw new Refused(`${where}: lasts more than ${limits.maxDurationMs / 3_600_000} h`);
    if (s.kind !== undefined && !(Number.isInteger(s.kind) && s.kind >= 0 && s.kind <= 5)) throw new Refused(`${where}: unknown span kind ${s.kind}`);
    if (s.status?.code !== undefined && !(Number.isInteger(s.status.code) && s.status.code >= 0 && s.status.code <= 2)) throw new Refused(`${where}: unknown status code ${s.status.code}`);
    const parent = s.parentSpanId !== undefined && s.parentSpanId.length > 0 ? id(s.parentSpanId, 8, `${where}: parent span id`) : undefined;
    const attributes = bound(s.attributes, limits.maxSpanAttributes);
    const events = (s.events ?? []).slice(0, limits.maxEventsPerSpan).map((e: Counted<NonNullable<WireSpan['events']>[number]>, i) => {
      const a = bound(e.attributes, limits.maxEventAttributes);
      const at = time(e.timeUnixNano, `${where}, event ${i}: time`);
      return { timeUnixNano: at.toString(), name: truncate(e.name, limits.maxNameLength), attributes: a.attributes, droppedAttributesCount: (e.droppedAttributesCount ?? 0) + a.dropped };
    });
    const links = (s.links ?? []).slice(0, limits.maxLinksPerSpan).map((l: Counted<NonNullable<WireSpan['links']>[number]>, i) => {
      const a = bound(l.attributes, limits.maxEventAttributes);
      return {
        traceId: id(l.traceId, 16, `${where}, link ${i}: trace id`),
        spanId: id(l.spanId, 8, `${where}, link ${i}: span id`),
        traceState: l.traceState !== undefined && l.traceState.length <= limits.maxTraceStateLength ? l.traceState : undefined,
        attributes: a.attributes,
        droppedAttributesCount: (l.droppedAttributesCount ?? 0) + a.dropped,
      };
    });
    const eventsDropped = (s.events ?? []).length - events.length;
    const linksDropped = (s.links ?? []).length - links.length;
    rewrites.eventsDropped += eventsDropped;
    rewrites.linksDropped += linksDropped;
    return {
      traceId: id(s.traceId, 16, `${where}: trace id`),
      spanId: id(s.spanId, 8, `${where}: span id`),
      traceState: s.traceState !== undefined && s.traceState.length <= limits.maxTraceStateLength ? s.traceState : undefined,
      parentSpanId: parent,
      flags: s.flags,
      name: truncate(s.name, limits.maxNameLength),
      kind: s.kind,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: end.toString(),
      attributes: attributes.attributes,
      droppedAttributesCount: (s.droppedAttributesCount ?? 0) + attributes.dropped,
      events,
      droppedEventsCount: (s.droppedEventsCount ?? 0) + eventsDropped,
      links,
      droppedLinksCount: (s.droppedLinksCount ?? 0) + linksDropped,
      status: s.status === undefined ? undefined : { code: s.status.code, message: truncate(s.status.message, limits.maxValueLength) },
    };
  };

  const resource = (given: WireKeyValue[] | undefined): WireKeyValue[] => {
    const kept: WireKeyValue[] = [{ key: 'service.name', value: { stringValue: BROWSER_SERVICE_NAME } }];
    for (const { key, value } of given ?? []) {
      const pattern = key === undefined ? undefined : KEPT_RESOURCE_ATTRIBUTES[key];
      const text = value?.stringValue;
      if (key === 'service.name' && text === BROWSER_SERVICE_NAME) continue;
      if (key !== undefined && pattern !== undefined && text !== undefined && pattern.test(text) && !kept.some((k) => k.key === key)) kept.push({ key, value: { stringValue: text } });
      else rewrites.resourceAttributes += 1;
    }
    return kept;
  };

  try {
    let index = 0;
    const resourceSpans = (request.resourceSpans ?? []).map((rs) => ({
      resource: { attributes: resource(rs.resource?.attributes) },
      scopeSpans: (rs.scopeSpans ?? []).map((ss) => {
        const scopeAttributes = (ss.scope as Counted<NonNullable<typeof ss.scope>> & { attributes?: WireKeyValue[] } | undefined)?.attributes ?? [];
        rewrites.attributesDropped += scopeAttributes.length;
        return {
          scope: { name: truncate(ss.scope?.name, limits.maxNameLength), version: truncate(ss.scope?.version, 64) },
          spans: (ss.spans ?? []).map((s) => span(s as SpanIn, index++)),
        };
      }),
    }));
    return { ok: true, request: { resourceSpans } as WireTraceRequest, spans: spanCount, rewrites };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, reason: error.message };
    throw error;
  }
}
