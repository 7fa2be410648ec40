import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { semconvAttribute, type SemconvCatalog } from './semconv-catalog';

/** The folder of this package's registry (`model/`), whether running from src/ or dist/. */
export const REGISTRY_DIR = join(__dirname, '..', 'model');

/** Attribute value types of Weaver's registry format that we use. */
export type AttributeType = 'string' | 'int' | 'double' | 'boolean' | 'string[]' | 'int[]' | 'double[]' | 'boolean[]';
/** Instruments of Weaver's registry format. */
export type Instrument = 'counter' | 'updowncounter' | 'histogram' | 'gauge';
/** Weaver stability levels we use. */
export type Stability = 'stable' | 'development';

/** One attribute of our own. */
export interface RegistryAttribute {
  key: string;
  /** `string` for an enum, whose allowed values are in `members`. */
  type: AttributeType;
  /** Allowed values of an enum attribute. */
  members?: readonly string[];
  brief: string;
  stability: Stability;
  examples: readonly unknown[];
  /** The group (`registry.mcp.model`) it is declared in. */
  group: string;
}

/** One metric of our own. */
export interface RegistryMetric {
  name: string;
  instrument: Instrument;
  unit: string;
  brief: string;
  stability: Stability;
  /** Attribute keys the metric carries: ours or the conventions'. */
  attributes: ReadonlyArray<{ ref: string; requirementLevel: string }>;
}

/** The registry as loaded: its manifest, attributes and metrics, and what is wrong with its files. */
export interface Registry {
  name: string;
  /** The conventions it builds on, from the manifest's `otel` dependency (`v1.45.0`). */
  semconvDependency: string;
  attributes: ReadonlyMap<string, RegistryAttribute>;
  metrics: ReadonlyMap<string, RegistryMetric>;
  /** Problems found while reading the files: missing fields, wrong types, duplicates. */
  problems: readonly string[];
}

const ATTRIBUTE_TYPES = new Set<string>(['string', 'int', 'double', 'boolean', 'string[]', 'int[]', 'double[]', 'boolean[]']);
const INSTRUMENTS = new Set<string>(['counter', 'updowncounter', 'histogram', 'gauge']);
const STABILITIES = new Set<string>(['stable', 'development']);

type Yaml = Record<string, unknown>;
const isObject = (value: unknown): value is Yaml => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

/** Whether an example value fits a declared type. */
function exampleFits(type: AttributeType, value: unknown): boolean {
  const scalar = type.replace('[]', '');
  const fits = (v: unknown): boolean =>
    scalar === 'string' ? typeof v === 'string' : scalar === 'boolean' ? typeof v === 'boolean' : scalar === 'int' ? Number.isInteger(v) : typeof v === 'number';
  return type.endsWith('[]') ? Array.isArray(value) && value.every(fits) : fits(value);
}

function readAttribute(raw: Yaml, group: string, problems: string[]): RegistryAttribute | undefined {
  const key = text(raw['id']);
  const where = `${group}/${key || '?'}`;
  if (key === '') {
    problems.push(`${group}: an attribute has no id`);
    return undefined;
  }
  let type: AttributeType = 'string';
  let members: string[] | undefined;
  if (isObject(raw['type']) && Array.isArray(raw['type']['members'])) {
    members = (raw['type']['members'] as unknown[]).map((m) => (isObject(m) ? String(m['value']) : ''));
    if (members.some((m) => m === '')) problems.push(`${where}: every enum member needs a value`);
  } else if (ATTRIBUTE_TYPES.has(text(raw['type']))) {
    type = text(raw['type']) as AttributeType;
  } else {
    problems.push(`${where}: type must be one of ${[...ATTRIBUTE_TYPES].join(', ')} or an enum (members)`);
  }
  const brief = text(raw['brief']);
  if (brief === '') problems.push(`${where}: brief is missing`);
  const stability = text(raw['stability']);
  if (!STABILITIES.has(stability)) problems.push(`${where}: stability must be stable or development`);
  const examples = Array.isArray(raw['examples']) ? (raw['examples'] as unknown[]) : raw['examples'] === undefined ? [] : [raw['examples']];
  if (examples.length === 0) problems.push(`${where}: examples are missing`);
  for (const example of examples) {
    if (!exampleFits(type, example)) problems.push(`${where}: example ${JSON.stringify(example)} is not a ${type}`);
    if (members && !members.includes(String(example))) problems.push(`${where}: example ${JSON.stringify(example)} is not one of its members`);
  }
  return { key, type, ...(members ? { members } : {}), brief, stability: stability as Stability, examples, group };
}

function readMetric(raw: Yaml, group: string, problems: string[]): RegistryMetric | undefined {
  const name = text(raw['metric_name']);
  if (name === '') {
    problems.push(`${group}: metric_name is missing`);
    return undefined;
  }
  const instrument = text(raw['instrument']);
  if (!INSTRUMENTS.has(instrument)) problems.push(`${name}: instrument must be one of ${[...INSTRUMENTS].join(', ')}`);
  const unit = typeof raw['unit'] === 'string' ? raw['unit'] : '';
  if (unit === '') problems.push(`${name}: unit is missing (every instrument has a UCUM unit)`);
  const brief = text(raw['brief']);
  if (brief === '') problems.push(`${name}: brief is missing`);
  const stability = text(raw['stability']);
  if (!STABILITIES.has(stability)) problems.push(`${name}: stability must be stable or development`);
  const attributes = (Array.isArray(raw['attributes']) ? (raw['attributes'] as unknown[]) : []).filter(isObject).map((a) => ({
    ref: text(a['ref']),
    requirementLevel: isObject(a['requirement_level']) ? Object.keys(a['requirement_level'])[0] ?? '' : text(a['requirement_level']) || 'recommended',
  }));
  return { name, instrument: instrument as Instrument, unit, brief, stability: stability as Stability, attributes };
}

/** Reads every `*.yaml` group file and the manifest of a registry folder. Never throws on content: see `problems`. */
export function loadRegistry(dir: string = REGISTRY_DIR): Registry {
  const problems: string[] = [];
  const manifest = parse(readFileSync(join(dir, 'registry_manifest.yaml'), 'utf8')) as Yaml;
  const dependencies = Array.isArray(manifest['dependencies']) ? (manifest['dependencies'] as unknown[]).filter(isObject) : [];
  const otel = dependencies.find((d) => d['name'] === 'otel');
  const semconvDependency = /\/(v\d+\.\d+\.\d+)\.zip/.exec(text(otel?.['registry_path']))?.[1] ?? '';
  if (semconvDependency === '') problems.push('registry_manifest.yaml: the otel dependency must name a semantic-conventions release (…/vX.Y.Z.zip[model])');

  const attributes = new Map<string, RegistryAttribute>();
  const metrics = new Map<string, RegistryMetric>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'registry_manifest.yaml').sort()) {
    const document = parse(readFileSync(join(dir, file), 'utf8')) as Yaml | null;
    const groups = Array.isArray(document?.['groups']) ? (document['groups'] as unknown[]).filter(isObject) : [];
    if (groups.length === 0) problems.push(`${file}: no groups`);
    for (const group of groups) {
      const id = text(group['id']);
      if (group['type'] === 'attribute_group') {
        for (const raw of (Array.isArray(group['attributes']) ? (group['attributes'] as unknown[]) : []).filter(isObject)) {
          const attribute = readAttribute(raw, id, problems);
          if (!attribute) continue;
          if (attributes.has(attribute.key)) problems.push(`${attribute.key}: declared twice`);
          attributes.set(attribute.key, attribute);
        }
      } else if (group['type'] === 'metric') {
        const metric = readMetric(group, id, problems);
        if (!metric) continue;
        if (metrics.has(metric.name)) problems.push(`${metric.name}: declared twice`);
        metrics.set(metric.name, metric);
      } else {
        problems.push(`${file}/${id}: group type must be attribute_group or metric`);
      }
    }
  }
  return { name: text(manifest['name']), semconvDependency, attributes, metrics, problems };
}

/**
 * What is wrong between the registry and the conventions: a key or metric of ours that IS a
 * conventions name (or sits under one of its template prefixes, or is the namespace of one of its
 * keys), and a metric attribute that is neither ours nor the conventions'.
 */
export function registryConflicts(registry: Registry, catalog: SemconvCatalog): string[] {
  const conflicts: string[] = [];
  const semconvKeys = [...catalog.attributes.keys()];
  for (const key of registry.attributes.keys()) {
    const entry = semconvAttribute(catalog, key);
    if (entry) conflicts.push(`${key}: collides with the conventions' ${entry.name}${entry.name.endsWith('.') ? '<key>' : ''} (${entry.status})`);
    const nested = semconvKeys.find((k) => k.startsWith(`${key}.`));
    if (nested) conflicts.push(`${key}: is the namespace of the conventions' ${nested}`);
  }
  for (const metric of registry.metrics.values()) {
    const entry = catalog.metrics.get(metric.name);
    if (entry) conflicts.push(`${metric.name}: collides with the conventions' metric (${entry.status})`);
    for (const { ref } of metric.attributes) {
      if (!registry.attributes.has(ref) && !semconvAttribute(catalog, ref)) conflicts.push(`${metric.name}: attribute ${ref} is neither in the registry nor in the conventions`);
    }
  }
  return conflicts;
}
