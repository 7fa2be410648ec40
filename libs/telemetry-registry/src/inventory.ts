/**
 * An inventory of what a run exported: every attribute key (with where it was seen, the value types
 * and a few values) and every metric name (with instrument kinds and units). Built from the records
 * of an OTLP receiver, merged across test files, serialisable to JSON.
 */

/** Where an attribute key was seen. */
export type AttributeSite = 'resource' | 'span' | 'span event' | 'metric' | 'log';

/** Value types as they arrive: `int` for integral numbers (OTLP intValue; JS loses the difference), `string[]`, … */
export type ObservedType = 'string' | 'int' | 'double' | 'boolean' | 'bytes' | 'map' | 'null' | `${string}[]`;

/** What was seen of one attribute key. */
export interface ObservedAttribute {
  sites: AttributeSite[];
  types: ObservedType[];
  /** Up to {@link MAX_SAMPLE_VALUES} distinct values (strings cut at 64 characters). */
  values: string[];
  services: string[];
}

/** What was seen of one metric name. */
export interface ObservedMetric {
  /** `counter` (monotonic sum), `updowncounter`, `histogram`, `gauge`, `summary`. */
  instruments: string[];
  units: string[];
  services: string[];
}

export interface TelemetryInventory {
  attributes: Record<string, ObservedAttribute>;
  metrics: Record<string, ObservedMetric>;
  /** Where the records came from (test files), for the report. */
  sources: string[];
}

/** The parts of an OTLP receiver's records the inventory reads (structurally, so any receiver fits). */
type Attrs = Record<string, unknown>;
export interface InventorySpan {
  serviceName: string;
  resource: Attrs;
  attributes: Attrs;
  events: ReadonlyArray<{ attributes: Attrs }>;
}
export interface InventoryMetricPoint {
  serviceName: string;
  resource: Attrs;
  name: string;
  unit: string;
  type: string;
  isMonotonic: boolean | undefined;
  attributes: Attrs;
}
export interface InventoryLog {
  serviceName: string;
  resource: Attrs;
  attributes: Attrs;
}

export const MAX_SAMPLE_VALUES = 8;

export function emptyInventory(): TelemetryInventory {
  return { attributes: {}, metrics: {}, sources: [] };
}

/** The type of a received attribute value. */
export function observedType(value: unknown): ObservedType {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) {
    const inner = [...new Set(value.map(observedType))];
    return `${inner.length === 1 ? inner[0] : inner.length === 0 ? 'empty' : 'mixed'}[]`;
  }
  if (value === null || value === undefined) return 'null';
  return 'map';
}

function addUnique<T>(list: T[], item: T, max = Infinity): void {
  if (!list.includes(item) && list.length < max) list.push(item);
}

function sample(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

function noteAttributes(inventory: TelemetryInventory, attributes: Attrs, site: AttributeSite, service: string): void {
  for (const [key, value] of Object.entries(attributes)) {
    const entry = (inventory.attributes[key] ??= { sites: [], types: [], values: [], services: [] });
    addUnique(entry.sites, site);
    addUnique(entry.types, observedType(value));
    addUnique(entry.values, sample(value), MAX_SAMPLE_VALUES);
    addUnique(entry.services, service);
  }
}

function instrumentOf(point: InventoryMetricPoint): string {
  if (point.type === 'sum') return point.isMonotonic === false ? 'updowncounter' : 'counter';
  if (point.type === 'exponentialHistogram') return 'histogram';
  return point.type;
}

/** Adds what a receiver got to `inventory` (in place) and returns it. */
export function addToInventory(
  inventory: TelemetryInventory,
  records: { spans: readonly InventorySpan[]; metrics: readonly InventoryMetricPoint[]; logs: readonly InventoryLog[] },
  source?: string,
): TelemetryInventory {
  for (const span of records.spans) {
    noteAttributes(inventory, span.resource, 'resource', span.serviceName);
    noteAttributes(inventory, span.attributes, 'span', span.serviceName);
    for (const event of span.events) noteAttributes(inventory, event.attributes, 'span event', span.serviceName);
  }
  for (const point of records.metrics) {
    noteAttributes(inventory, point.resource, 'resource', point.serviceName);
    noteAttributes(inventory, point.attributes, 'metric', point.serviceName);
    const entry = (inventory.metrics[point.name] ??= { instruments: [], units: [], services: [] });
    addUnique(entry.instruments, instrumentOf(point));
    addUnique(entry.units, point.unit);
    addUnique(entry.services, point.serviceName);
  }
  for (const log of records.logs) {
    noteAttributes(inventory, log.resource, 'resource', log.serviceName);
    noteAttributes(inventory, log.attributes, 'log', log.serviceName);
  }
  if (source !== undefined) addUnique(inventory.sources, source);
  return inventory;
}

/** Merges `from` into `into` (in place) and returns `into`. */
export function mergeInventory(into: TelemetryInventory, from: TelemetryInventory): TelemetryInventory {
  for (const [key, seen] of Object.entries(from.attributes)) {
    const entry = (into.attributes[key] ??= { sites: [], types: [], values: [], services: [] });
    for (const s of seen.sites) addUnique(entry.sites, s);
    for (const t of seen.types) addUnique(entry.types, t);
    for (const v of seen.values) addUnique(entry.values, v, MAX_SAMPLE_VALUES);
    for (const s of seen.services) addUnique(entry.services, s);
  }
  for (const [name, seen] of Object.entries(from.metrics)) {
    const entry = (into.metrics[name] ??= { instruments: [], units: [], services: [] });
    for (const i of seen.instruments) addUnique(entry.instruments, i);
    for (const u of seen.units) addUnique(entry.units, u);
    for (const s of seen.services) addUnique(entry.services, s);
  }
  for (const source of from.sources) addUnique(into.sources, source);
  return into;
}
