import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where a name stands in the OpenTelemetry semantic conventions:
 * - `stable`: in the stable entry point, not deprecated;
 * - `incubating`: in the incubating entry point, not deprecated;
 * - `moved`: deprecated only because it moved to another conventions repository (the GenAI and MCP
 *   conventions did: "@deprecated Moved to …"); still current there, so allowed;
 * - `deprecated`: deprecated by replacement or removal ("Replaced by …", "Use …", "Removed …").
 */
export type SemconvStatus = 'stable' | 'incubating' | 'moved' | 'deprecated';

/** One attribute or metric name of the conventions. */
export interface SemconvEntry {
  /** The name (`rpc.system.name`), or for a template attribute its prefix (`http.request.header.`). */
  name: string;
  status: SemconvStatus;
  /** The `@deprecated` text, for deprecated and moved names. */
  deprecation?: string;
}

/** The names of one version of `@opentelemetry/semantic-conventions`. */
export interface SemconvCatalog {
  /** Package version, e.g. `1.45.0`. */
  version: string;
  attributes: ReadonlyMap<string, SemconvEntry>;
  /** Template attributes (`http.request.header.<key>`), by prefix. */
  attributeTemplates: readonly SemconvEntry[];
  metrics: ReadonlyMap<string, SemconvEntry>;
}

/** A doc comment, then `declare const ATTR_X: "name";` or a template `(key: string) => string`. */
const DECLARATION = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*declare const ((?:ATTR|METRIC)_[A-Z0-9_]+): (?:"([^"]+)"|\(key: string\) => string);/g;

function statusOf(doc: string, stableFile: boolean): { status: SemconvStatus; deprecation?: string } {
  const deprecated = /@deprecated\s+([\s\S]*?)(?:\n\s*\*\s*@|$)/.exec(doc);
  if (deprecated) {
    const text = deprecated[1]!.replace(/\s*\n\s*\*\s*/g, ' ').trim();
    // "Moved to …" only; "Replaced by X, which has moved …" is a replacement.
    return { status: /^Moved to\b/i.test(text) ? 'moved' : 'deprecated', deprecation: text };
  }
  return { status: stableFile ? 'stable' : 'incubating' };
}

/**
 * Reads the names, stability and deprecation notes of the installed `@opentelemetry/semantic-conventions`
 * from its declaration files (the doc comments carry `@deprecated Replaced by …` / `Moved to …`).
 * Template attributes get their prefix from the package itself.
 */
export function loadSemconvCatalog(): SemconvCatalog {
  // The package exports no ./package.json: its main entry is dist/index.cjs.
  const dist = dirname(require.resolve('@opentelemetry/semantic-conventions'));
  const packageJson = join(dist, '..', 'package.json');
  const incubating = require('@opentelemetry/semantic-conventions/incubating') as Record<string, unknown>;
  const attributes = new Map<string, SemconvEntry>();
  const attributeTemplates: SemconvEntry[] = [];
  const metrics = new Map<string, SemconvEntry>();

  // Stable files first: a name in both keeps its stable entry.
  for (const [file, stableFile] of [
    ['stable_attributes.d.cts', true],
    ['stable_metrics.d.cts', true],
    ['experimental_attributes.d.cts', false],
    ['experimental_metrics.d.cts', false],
  ] as const) {
    const text = readFileSync(join(dist, file), 'utf8');
    for (const match of text.matchAll(DECLARATION)) {
      const [, doc = '', constant = '', literal] = match;
      let name = literal;
      if (name === undefined) {
        const template = incubating[constant];
        if (typeof template !== 'function') continue;
        name = (template as (key: string) => string)('');
      }
      const entry: SemconvEntry = { name, ...statusOf(doc, stableFile) };
      if (constant.startsWith('METRIC_')) {
        if (!metrics.has(name)) metrics.set(name, entry);
      } else if (literal === undefined) {
        if (!attributeTemplates.some((t) => t.name === name)) attributeTemplates.push(entry);
      } else if (!attributes.has(name)) {
        attributes.set(name, entry);
      }
    }
  }
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  return { version, attributes, attributeTemplates, metrics };
}

/** The conventions' entry for an attribute key: exact, else the template whose prefix it has. */
export function semconvAttribute(catalog: SemconvCatalog, key: string): SemconvEntry | undefined {
  return catalog.attributes.get(key) ?? catalog.attributeTemplates.find((t) => key.startsWith(t.name) && key.length > t.name.length);
}
