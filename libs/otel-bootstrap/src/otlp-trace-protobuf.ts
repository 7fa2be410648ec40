/*
 * Over 300 lines on purpose: one message encoding, the OTLP trace export request, and the wire
 * details that make its bytes equal to upstream's, in one place (the test compares the two).
 */
import type { Attributes, HrTime, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * The OTLP/protobuf encoding of an ExportTraceServiceRequest, written in one pass straight from the
 * SDK's spans: our replacement for otlp-transformer's ProtobufTraceSerializer in the
 * `http/protobuf` span exporter, byte for byte equal to its output (the tests compare the two), at
 * a fraction of its cost (BENCHMARKS.md, "Issue 15, item 2"). The batch span processor serialises
 * each batch of 1024 spans on the request thread that ends the batch's last span, so this is on
 * the request path of a recorded trace.
 *
 * How it is cheaper: one pass (no size-estimating pass), each length-delimited field written with a
 * guessed length size and moved only when the guess was wrong (a span's 2 bytes are right from
 * 128 B to 16 kB), ASCII strings written as they are scanned, ids decoded from hex into the output,
 * and an attribute's encoded key (and its whole KeyValue when the value repeats, as a route or a
 * method does from span to span) kept for the next span.
 *
 * Where upstream's output is not plain protobuf of the data, this follows it (the tests pin each):
 * - an AnyValue holds `int_value` for an integer in [-2^63, 2^63), `double_value` for any other
 *   number (NaN and ±Infinity included), `bytes_value` for a Uint8Array, an array, a kvlist for any
 *   other non-null object (its own enumerable keys), and nothing for null, undefined or any other
 *   type (the KeyValue's value is then an empty AnyValue);
 * - the span's and each link's `flags` always carry the "has is_remote" bit (0x100), with 0x200 when
 *   the parent (link) context is remote, over the W3C trace flags;
 * - the counts of dropped attributes, events and links, and the status code are always written,
 *   even when 0; the resource's dropped attributes count is always written as 0;
 * - a string is UTF-8 with each lone surrogate as U+FFFD (as TextEncoder does).
 */

/** A tag byte: field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
const enum Tag {
  // ExportTraceServiceRequest
  ResourceSpans = (1 << 3) | 2,
  // ResourceSpans
  Resource = (1 << 3) | 2,
  ScopeSpans = (2 << 3) | 2,
  ResourceSchemaUrl = (3 << 3) | 2,
  // Resource
  ResourceAttribute = (1 << 3) | 2,
  ResourceDroppedAttributes = (2 << 3) | 0,
  // ScopeSpans
  Scope = (1 << 3) | 2,
  Span = (2 << 3) | 2,
  ScopeSchemaUrl = (3 << 3) | 2,
  // InstrumentationScope
  ScopeName = (1 << 3) | 2,
  ScopeVersion = (2 << 3) | 2,
  ScopeAttribute = (3 << 3) | 2,
  ScopeDroppedAttributes = (4 << 3) | 0,
  // Span (field 16, flags, has a tag of two bytes: SPAN_FLAGS_TAG)
  TraceId = (1 << 3) | 2,
  SpanId = (2 << 3) | 2,
  TraceState = (3 << 3) | 2,
  ParentSpanId = (4 << 3) | 2,
  Name = (5 << 3) | 2,
  Kind = (6 << 3) | 0,
  StartTime = (7 << 3) | 1,
  EndTime = (8 << 3) | 1,
  SpanAttribute = (9 << 3) | 2,
  SpanDroppedAttributes = (10 << 3) | 0,
  Event = (11 << 3) | 2,
  DroppedEvents = (12 << 3) | 0,
  Link = (13 << 3) | 2,
  DroppedLinks = (14 << 3) | 0,
  Status = (15 << 3) | 2,
  // Span.Event
  EventTime = (1 << 3) | 1,
  EventName = (2 << 3) | 2,
  EventAttribute = (3 << 3) | 2,
  EventDroppedAttributes = (4 << 3) | 0,
  // Span.Link
  LinkTraceId = (1 << 3) | 2,
  LinkSpanId = (2 << 3) | 2,
  LinkTraceState = (3 << 3) | 2,
  LinkAttribute = (4 << 3) | 2,
  LinkDroppedAttributes = (5 << 3) | 0,
  LinkFlags = (6 << 3) | 5,
  // Status
  StatusMessage = (2 << 3) | 2,
  StatusCode = (3 << 3) | 0,
  // KeyValue
  Key = (1 << 3) | 2,
  Value = (2 << 3) | 2,
  // AnyValue
  StringValue = (1 << 3) | 2,
  BoolValue = (2 << 3) | 0,
  IntValue = (3 << 3) | 0,
  DoubleValue = (4 << 3) | 1,
  ArrayValue = (5 << 3) | 2,
  KvlistValue = (6 << 3) | 2,
  BytesValue = (7 << 3) | 2,
  // ArrayValue and KeyValueList
  Element = (1 << 3) | 2,
}

/** Span.flags: field 16, the first to need a tag of two bytes (16 << 3 | 5 = 0x85, as 0x85 0x01). */
const SPAN_FLAGS_TAG = (16 << 3) | 5;

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/**
 * Room guaranteed after every capacity check: more than any run of fixed-size fields written between
 * two checks (each string, id and byte array checks for itself, each span, event, link, status,
 * KeyValue and array element on entry).
 */
const SLACK = 256;

// --- the output: one buffer per request, written at `pos` -----------------------------------------

let out = new Uint8Array(0);
let view = new DataView(out.buffer, out.byteOffset, out.length);
let pos = 0;
/** Bytes per span of the last request: the next buffer's size, so that it rarely grows. */
let bytesPerSpan = 512;

function ensure(bytes: number): void {
  if (pos + bytes > out.length) grow(pos + bytes);
}

function grow(needed: number): void {
  let size = Math.max(out.length * 2, 4096);
  while (size < needed) size *= 2;
  const larger = Buffer.allocUnsafe(size);
  larger.set(out.subarray(0, pos));
  out = larger;
  view = new DataView(out.buffer, out.byteOffset, out.length);
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** A varint of a length or count in [0, 2^32). */
function writeUint32(value: number): void {
  while (value > 0x7f) {
    out[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[pos++] = value;
}

/**
 * A varint of any number, as an int64: the integer part, two's complement when negative (ten
 * bytes), modulo 2^64; NaN, undefined and ±Infinity as 0. The counts and codes of a span go through
 * this too, so that an odd value is written as upstream writes it.
 */
function writeVarint(value: number): void {
  if (value >= 0 && value <= 0xffffffff) {
    writeUint32(value >>> 0);
    return;
  }
  const magnitude = Math.abs(value);
  let low = magnitude >>> 0;
  let high = (magnitude / 0x100000000) >>> 0;
  if (!(value >= 0)) {
    // Two's complement of the magnitude (NaN's magnitude is 0, and so is its complement).
    low = ~low >>> 0;
    high = ~high >>> 0;
    low = (low + 1) >>> 0;
    if (low === 0) high = (high + 1) >>> 0;
  }
  while (high !== 0 || low > 0x7f) {
    out[pos++] = (low & 0x7f) | 0x80;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  out[pos++] = low;
}

/** Writes `length` as a varint at `at`, where `reserved` bytes were left for it, moving what follows if it needs another size. */
function closeLength(at: number, reserved: number): void {
  const start = at + reserved;
  const length = pos - start;
  const size = varintSize(length);
  if (size !== reserved) {
    ensure(size - reserved);
    out.copyWithin(at + size, start, pos);
    pos += size - reserved;
  }
  let value = length;
  while (value > 0x7f) {
    out[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[at] = value;
}

function writeFixed32(value: number): void {
  out[pos] = value;
  out[pos + 1] = value >>> 8;
  out[pos + 2] = value >>> 16;
  out[pos + 3] = value >>> 24;
  pos += 4;
}

function writeFixed64(low: number, high: number): void {
  writeFixed32(low);
  writeFixed32(high);
}

const NANOS_PER_SECOND = 1e9;
const TWO_POW_32 = 0x100000000;

/**
 * An HrTime [seconds, nanoseconds] as fixed64 nanoseconds. seconds × 10^9 is beyond a double's 53
 * bits, so the seconds are split at bit 16 and each part's nanoseconds (exact: under 2^46 while
 * the seconds fit in 32 bits) added into the two 32-bit halves with the carry.
 */
function writeHrTime(time: HrTime): void {
  const seconds = time[0];
  const nanos = time[1];
  const lowSecondsNanos = (seconds & 0xffff) * NANOS_PER_SECOND;
  // In units of 2^16 ns: its low 16 bits go to bits 16–31, the rest to the high half.
  const highSecondsNanos = ((seconds / 0x10000) >>> 0) * NANOS_PER_SECOND;
  const lowSum = (lowSecondsNanos >>> 0) + (((highSecondsNanos & 0xffff) * 0x10000) >>> 0) + nanos;
  const high = Math.floor(lowSecondsNanos / TWO_POW_32) + ((highSecondsNanos / 0x10000) >>> 0) + Math.floor(lowSum / TWO_POW_32);
  writeFixed64(lowSum >>> 0, high >>> 0);
}

/** A hex digit's value; any other character as upstream's hex decoding reads it (its code − 55). */
function hexValue(code: number): number {
  return code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : code - 55;
}

/** hexValue of each ASCII code, looked up (ids are two to three dozen of them per span). */
const HEX_VALUES = Int8Array.from({ length: 128 }, (_, code) => hexValue(code));

function hexValueAt(hex: string, index: number): number {
  const code = hex.charCodeAt(index);
  return code < 128 ? HEX_VALUES[code]! : hexValue(code);
}

/** A length-delimited id from its hex string, decoded into the output. */
function writeHexId(hex: string): void {
  const length = hex.length >>> 1;
  ensure(length + SLACK);
  writeUint32(length);
  for (let i = 0; i < length; i++) out[pos++] = (hexValueAt(hex, 2 * i) << 4) | hexValueAt(hex, 2 * i + 1);
}

/** A length-delimited string, UTF-8. */
function writeString(text: string): void {
  const length = text.length;
  ensure(length + SLACK);
  // Written as ASCII until a character says otherwise.
  const lengthSize = varintSize(length);
  let at = pos + lengthSize;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) {
      writeUtf8String(text);
      return;
    }
    out[at++] = code;
  }
  writeUint32(length);
  pos = at;
}

/** UTF-8 size of a string, lone surrogates as U+FFFD (3 bytes). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code < 0xe000;
}

function writeUtf8String(text: string): void {
  const bytes = utf8Length(text);
  ensure(bytes + 5 + SLACK);
  writeUint32(bytes);
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      out[pos++] = code;
    } else if (code < 0x800) {
      out[pos++] = 0xc0 | (code >>> 6);
      out[pos++] = 0x80 | (code & 0x3f);
    } else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      code = 0x10000 + ((code - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      out[pos++] = 0xf0 | (code >>> 18);
      out[pos++] = 0x80 | ((code >>> 12) & 0x3f);
      out[pos++] = 0x80 | ((code >>> 6) & 0x3f);
      out[pos++] = 0x80 | (code & 0x3f);
    } else {
      if (code >= 0xd800 && code < 0xe000) code = 0xfffd; // a lone surrogate
      out[pos++] = 0xe0 | (code >>> 12);
      out[pos++] = 0x80 | ((code >>> 6) & 0x3f);
      out[pos++] = 0x80 | (code & 0x3f);
    }
  }
}

function writeBytes(bytes: Uint8Array): void {
  ensure(bytes.length + 5 + SLACK);
  writeUint32(bytes.length);
  out.set(bytes, pos);
  pos += bytes.length;
}

function copy(bytes: Uint8Array): void {
  const length = bytes.length;
  ensure(length + SLACK);
  if (length > 32) out.set(bytes, pos);
  else for (let i = 0; i < length; i++) out[pos + i] = bytes[i]!;
  pos += length;
}

// --- attributes ---------------------------------------------------------------------------------

const hasOwn = Object.prototype.hasOwnProperty;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/**
 * What is kept of an attribute key between spans: its encoded KeyValue.key field, and the last
 * primitive value seen with it; when that value comes again, the whole KeyValue (length-prefixed)
 * is kept too, and from then on copied while the value stays the same.
 */
interface KeyEntry {
  encodedKey: Uint8Array;
  lastValue: unknown;
  encodedPair: Uint8Array | undefined;
}

/** A copy of the output from `start` to `pos` (the output is a Buffer: its `slice` would be a view). */
function copyOfOutput(start: number): Uint8Array {
  return new Uint8Array(out.subarray(start, pos));
}

/** Longer string values are neither remembered nor kept encoded: the cache stays small. */
const MAX_KEPT_STRING = 256;

/** Bounded: an app that makes up keys (an id in a key) must not grow it for ever. */
const MAX_KEYS = 2048;
const keys = new Map<string, KeyEntry>();

function keyEntryOf(key: string): KeyEntry {
  let entry = keys.get(key);
  if (entry === undefined) {
    if (keys.size >= MAX_KEYS) keys.clear();
    const start = pos;
    out[pos++] = Tag.Key;
    writeString(key);
    entry = { encodedKey: copyOfOutput(start), lastValue: undefined, encodedPair: undefined };
    pos = start;
    keys.set(key, entry);
  }
  return entry;
}

/** Repeated KeyValue `tag` of an attributes object, in its own enumerable keys' order. */
function writeAttributes(tag: number, attributes: Attributes): void {
  for (const key in attributes) {
    if (!hasOwn.call(attributes, key)) continue;
    ensure(SLACK);
    out[pos++] = tag;
    writeKeyValue(keyEntryOf(key), attributes[key]);
  }
}

/** A length-prefixed KeyValue. */
function writeKeyValue(entry: KeyEntry, value: unknown): void {
  const type = typeof value;
  const primitive = type === 'number' || type === 'boolean' || (type === 'string' && (value as string).length <= MAX_KEPT_STRING);
  if (primitive && value === entry.lastValue && entry.encodedPair !== undefined) {
    copy(entry.encodedPair);
    return;
  }
  const at = pos++;
  copy(entry.encodedKey);
  out[pos++] = Tag.Value;
  const valueAt = pos++;
  writeAnyValue(value);
  closeLength(valueAt, 1);
  closeLength(at, 1);
  if (primitive) {
    // Kept only for a value seen twice in a row: most values that change, change every span.
    entry.encodedPair = value === entry.lastValue ? copyOfOutput(at) : undefined;
    entry.lastValue = value;
  }
}

/** The fields of an AnyValue (without its length). */
function writeAnyValue(value: unknown): void {
  const type = typeof value;
  if (type === 'string') {
    out[pos++] = Tag.StringValue;
    writeString(value as string);
  } else if (type === 'boolean') {
    out[pos++] = Tag.BoolValue;
    out[pos++] = value ? 1 : 0;
  } else if (type === 'number') {
    const number = value as number;
    if (Number.isInteger(number) && number >= MIN_INT64 && number < MAX_INT64) {
      out[pos++] = Tag.IntValue;
      writeVarint(number);
    } else {
      out[pos++] = Tag.DoubleValue;
      view.setFloat64(pos, number, true);
      pos += 8;
    }
  } else if (value instanceof Uint8Array) {
    out[pos++] = Tag.BytesValue;
    writeBytes(value);
  } else if (Array.isArray(value)) {
    out[pos++] = Tag.ArrayValue;
    const arrayAt = pos++;
    for (const element of value as unknown[]) {
      ensure(SLACK);
      out[pos++] = Tag.Element;
      const elementAt = pos++;
      writeAnyValue(element);
      closeLength(elementAt, 1);
    }
    closeLength(arrayAt, 1);
  } else if (type === 'object' && value !== null) {
    out[pos++] = Tag.KvlistValue;
    const listAt = pos++;
    const object = value as Record<string, unknown>;
    for (const key in object) {
      if (!hasOwn.call(object, key)) continue;
      ensure(SLACK);
      out[pos++] = Tag.Element;
      const pairAt = pos++;
      out[pos++] = Tag.Key;
      writeString(key);
      out[pos++] = Tag.Value;
      const valueAt = pos++;
      writeAnyValue(object[key]);
      closeLength(valueAt, 1);
      closeLength(pairAt, 1);
    }
    closeLength(listAt, 1);
  }
  // null, undefined, functions, symbols, bigints: an empty AnyValue.
}

// --- spans --------------------------------------------------------------------------------------

interface Scope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

interface Resource {
  readonly attributes: Attributes;
  readonly schemaUrl?: string;
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

function writeSpan(span: ReadableSpan): void {
  ensure(SLACK);
  out[pos++] = Tag.Span;
  // A span is 128 B to 16 kB but for the smallest: two length bytes are mostly right.
  const at = pos;
  pos += 2;
  const context = span.spanContext();
  out[pos++] = Tag.TraceId;
  writeHexId(context.traceId);
  out[pos++] = Tag.SpanId;
  writeHexId(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    out[pos++] = Tag.TraceState;
    writeString(traceState);
  }
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    out[pos++] = Tag.ParentSpanId;
    writeHexId(parent.spanId);
  }
  out[pos++] = Tag.Name;
  writeString(span.name);
  // OTLP's SpanKind counts from 1 (0 is "unspecified", not written).
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    out[pos++] = Tag.Kind;
    writeVarint(kind);
  }
  out[pos++] = Tag.StartTime;
  writeHrTime(span.startTime);
  out[pos++] = Tag.EndTime;
  writeHrTime(span.endTime);
  if (span.attributes) writeAttributes(Tag.SpanAttribute, span.attributes);
  out[pos++] = Tag.SpanDroppedAttributes;
  writeVarint(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(event);
  out[pos++] = Tag.DroppedEvents;
  writeVarint(span.droppedEventsCount);
  for (const link of span.links) writeLink(link);
  out[pos++] = Tag.DroppedLinks;
  writeVarint(span.droppedLinksCount);
  ensure(SLACK);
  out[pos++] = Tag.Status;
  const statusAt = pos++;
  const status = span.status;
  if (status.message) {
    out[pos++] = Tag.StatusMessage;
    writeString(status.message);
  }
  out[pos++] = Tag.StatusCode;
  writeVarint(status.code);
  closeLength(statusAt, 1);
  out[pos++] = (SPAN_FLAGS_TAG & 0x7f) | 0x80;
  out[pos++] = SPAN_FLAGS_TAG >>> 7;
  writeFixed32(spanFlags(context.traceFlags, parent?.isRemote));
  closeLength(at, 2);
}

function writeEvent(event: ReadableSpan['events'][number]): void {
  ensure(SLACK);
  out[pos++] = Tag.Event;
  const at = pos++;
  out[pos++] = Tag.EventTime;
  writeHrTime(event.time);
  out[pos++] = Tag.EventName;
  writeString(event.name);
  if (event.attributes) writeAttributes(Tag.EventAttribute, event.attributes);
  out[pos++] = Tag.EventDroppedAttributes;
  writeVarint(event.droppedAttributesCount || 0);
  closeLength(at, 1);
}

function writeLink(link: ReadableSpan['links'][number]): void {
  ensure(SLACK);
  out[pos++] = Tag.Link;
  const at = pos++;
  const context: SpanContext = link.context;
  out[pos++] = Tag.LinkTraceId;
  writeHexId(context.traceId);
  out[pos++] = Tag.LinkSpanId;
  writeHexId(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    out[pos++] = Tag.LinkTraceState;
    writeString(traceState);
  }
  if (link.attributes) writeAttributes(Tag.LinkAttribute, link.attributes);
  out[pos++] = Tag.LinkDroppedAttributes;
  writeVarint(link.droppedAttributesCount || 0);
  out[pos++] = Tag.LinkFlags;
  writeFixed32(spanFlags(context.traceFlags, context.isRemote));
  closeLength(at, 1);
}

function writeScopeSpans(scope: Scope, spans: ReadableSpan[]): void {
  ensure(SLACK);
  out[pos++] = Tag.ScopeSpans;
  // Most batches are one scope of up to a few hundred kB: three length bytes.
  const at = pos;
  pos += 3;
  out[pos++] = Tag.Scope;
  const scopeAt = pos++;
  out[pos++] = Tag.ScopeName;
  writeString(scope.name);
  if (scope.version) {
    out[pos++] = Tag.ScopeVersion;
    writeString(scope.version);
  }
  if (scope.attributes) writeAttributes(Tag.ScopeAttribute, scope.attributes);
  if (scope.droppedAttributesCount) {
    out[pos++] = Tag.ScopeDroppedAttributes;
    writeVarint(scope.droppedAttributesCount);
  }
  closeLength(scopeAt, 1);
  for (let i = 0; i < spans.length; i++) writeSpan(spans[i]!);
  if (scope.schemaUrl) {
    out[pos++] = Tag.ScopeSchemaUrl;
    writeString(scope.schemaUrl);
  }
  closeLength(at, 3);
}

function writeResourceSpans(resource: Resource, scopes: Map<Scope, ReadableSpan[]>): void {
  ensure(SLACK);
  out[pos++] = Tag.ResourceSpans;
  const at = pos;
  pos += 3;
  out[pos++] = Tag.Resource;
  const resourceAt = pos++;
  const attributes = resource.attributes;
  if (attributes) writeAttributes(Tag.ResourceAttribute, attributes);
  ensure(SLACK);
  out[pos++] = Tag.ResourceDroppedAttributes;
  out[pos++] = 0;
  closeLength(resourceAt, 1);
  for (const [scope, spans] of scopes) writeScopeSpans(scope, spans);
  if (resource.schemaUrl) {
    out[pos++] = Tag.ResourceSchemaUrl;
    writeString(resource.schemaUrl);
  }
  closeLength(at, 3);
}

/** The spans by resource, then by instrumentation scope (by identity), each in order of first appearance. */
function groupSpans(spans: ReadableSpan[]): Map<Resource, Map<Scope, ReadableSpan[]>> {
  const resources = new Map<Resource, Map<Scope, ReadableSpan[]>>();
  let lastResource: Resource | undefined;
  let lastScope: Scope | undefined;
  let lastGroup: ReadableSpan[] | undefined;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    const resource = span.resource as Resource;
    const scope = span.instrumentationScope as Scope;
    if (lastGroup === undefined || resource !== lastResource || scope !== lastScope) {
      let scopes = resources.get(resource);
      if (scopes === undefined) resources.set(resource, (scopes = new Map()));
      let group = scopes.get(scope);
      if (group === undefined) scopes.set(scope, (group = []));
      lastResource = resource;
      lastScope = scope;
      lastGroup = group;
    }
    lastGroup.push(span);
  }
  return resources;
}

/** The ExportTraceServiceRequest of `spans`, OTLP/protobuf. */
export function serializeTraceExportRequest(spans: ReadableSpan[]): Uint8Array {
  if (spans.length === 0) return new Uint8Array(0);
  // Not zero-filled: only what is written is returned.
  out = Buffer.allocUnsafe(spans.length * bytesPerSpan + 1024);
  view = new DataView(out.buffer, out.byteOffset, out.length);
  pos = 0;
  try {
    for (const [resource, scopes] of groupSpans(spans)) writeResourceSpans(resource, scopes);
    bytesPerSpan = Math.ceil((pos / spans.length) * 1.25);
    return out.subarray(0, pos);
  } finally {
    // Not kept: the exporter sends (and may compress) it after this returns.
    out = new Uint8Array(0);
    view = new DataView(out.buffer, out.byteOffset, out.length);
  }
}
