import type { ObservedType, TelemetryInventory } from './inventory';
import { registryConflicts, type AttributeType, type Registry } from './registry';
import { semconvAttribute, type SemconvCatalog } from './semconv-catalog';

/**
 * The class of one exported name. `log field`: a key seen only on log records — the fields of the
 * services' structured log lines (pino), which the logs instrumentation exports as attributes; they
 * are counted and listed, not checked against the conventions or the registry.
 */
export type NameClass = 'stable' | 'incubating' | 'moved' | 'custom declared' | 'undeclared' | 'deprecated' | 'log field';

export const NAME_CLASSES: readonly NameClass[] = ['stable', 'incubating', 'moved', 'custom declared', 'undeclared', 'deprecated', 'log field'];

/** One exported attribute key or metric name and its class. */
export interface ClassifiedName {
  kind: 'attribute' | 'metric';
  name: string;
  class: NameClass;
  /** For deprecated and moved names: the conventions' note ("Replaced by `rpc.system.name`."). */
  note?: string;
}

export interface Classification {
  names: ClassifiedName[];
  counts: Record<NameClass, number>;
  /** Every reason the check fails, one line each; empty when it passes. */
  violations: string[];
}

export interface ClassifyOptions {
  /**
   * Also fail on registry entries nothing emitted. Only meaningful when the inventory covers the
   * whole run (every test file), so a single file's run can still be checked for the rest.
   */
  requireEveryEntryEmitted: boolean;
}

/** Whether a received value type fits a registry type (JS numbers lose int/double: an integral double reads as int). */
function typeFits(declared: AttributeType, observed: ObservedType): boolean {
  if (declared === observed) return true;
  if (declared === 'double' && observed === 'int') return true;
  if (declared === 'double[]' && observed === 'int[]') return true;
  return declared.endsWith('[]') && observed === 'empty[]';
}

/**
 * Classifies every attribute key and metric name of `inventory` against the conventions and our
 * registry, and lists what fails the check: a name neither in the conventions nor in the registry; a
 * name deprecated by replacement (one that only moved to another conventions repository is allowed);
 * a type, enum value, instrument or unit that differs from the registry; a registry entry nothing
 * emitted (with `requireEveryEntryEmitted`); a registry name that collides with the conventions.
 */
export function classifyInventory(inventory: TelemetryInventory, registry: Registry, catalog: SemconvCatalog, options: ClassifyOptions): Classification {
  const names: ClassifiedName[] = [];
  const violations: string[] = [...registry.problems.map((p) => `registry: ${p}`), ...registryConflicts(registry, catalog).map((c) => `collision: ${c}`)];

  for (const [key, seen] of Object.entries(inventory.attributes).sort(([a], [b]) => a.localeCompare(b))) {
    const where = `${seen.sites.join('/')} of ${seen.services.join(', ')}`;
    const custom = registry.attributes.get(key);
    const semconv = semconvAttribute(catalog, key);
    if (!custom && !semconv && seen.sites.every((site) => site === 'log')) {
      names.push({ kind: 'attribute', name: key, class: 'log field' });
    } else if (custom) {
      names.push({ kind: 'attribute', name: key, class: 'custom declared' });
      for (const type of seen.types) {
        if (!typeFits(custom.type, type)) violations.push(`type: ${key} is declared ${custom.type} but arrived as ${type} (${where})`);
      }
      if (custom.members) {
        for (const value of seen.values) {
          if (!custom.members.includes(value)) violations.push(`value: ${key}=${JSON.stringify(value)} is not one of ${custom.members.join(', ')} (${where})`);
        }
      }
    } else if (semconv) {
      names.push({ kind: 'attribute', name: key, class: semconv.status, ...(semconv.deprecation ? { note: semconv.deprecation } : {}) });
      if (semconv.status === 'deprecated') violations.push(`deprecated: ${key} (${semconv.deprecation}) on the ${where}`);
    } else {
      names.push({ kind: 'attribute', name: key, class: 'undeclared' });
      violations.push(`undeclared: attribute ${key} on the ${where} is neither in the conventions ${catalog.version} nor in the registry (e.g. ${seen.values.slice(0, 3).join(' | ')})`);
    }
  }

  for (const [name, seen] of Object.entries(inventory.metrics).sort(([a], [b]) => a.localeCompare(b))) {
    const where = seen.services.join(', ');
    const custom = registry.metrics.get(name);
    const semconv = catalog.metrics.get(name);
    if (custom) {
      names.push({ kind: 'metric', name, class: 'custom declared' });
      for (const instrument of seen.instruments) {
        if (instrument !== custom.instrument) violations.push(`type: metric ${name} is declared a ${custom.instrument} but arrived as a ${instrument} (${where})`);
      }
      for (const unit of seen.units) {
        if (unit !== custom.unit) violations.push(`unit: metric ${name} is declared in ${JSON.stringify(custom.unit)} but arrived in ${JSON.stringify(unit)} (${where})`);
      }
    } else if (semconv) {
      names.push({ kind: 'metric', name, class: semconv.status, ...(semconv.deprecation ? { note: semconv.deprecation } : {}) });
      if (semconv.status === 'deprecated') violations.push(`deprecated: metric ${name} (${semconv.deprecation}) from ${where}`);
    } else {
      names.push({ kind: 'metric', name, class: 'undeclared' });
      violations.push(`undeclared: metric ${name} from ${where} is neither in the conventions ${catalog.version} nor in the registry`);
    }
  }

  if (options.requireEveryEntryEmitted) {
    for (const key of registry.attributes.keys()) {
      if (!inventory.attributes[key]) violations.push(`unused: registry attribute ${key} was not emitted by anything in this run`);
    }
    for (const name of registry.metrics.keys()) {
      if (!inventory.metrics[name]) violations.push(`unused: registry metric ${name} was not emitted by anything in this run`);
    }
  }

  const counts = Object.fromEntries(NAME_CLASSES.map((c) => [c, names.filter((n) => n.class === c).length])) as Record<NameClass, number>;
  return { names, counts, violations };
}

/** One line: `stable 40 / incubating 31 / moved 9 / custom declared 52 / undeclared 0 / deprecated 0`. */
export function formatCounts(counts: Record<NameClass, number>): string {
  return NAME_CLASSES.map((c) => `${c} ${counts[c]}`).join(' / ');
}
