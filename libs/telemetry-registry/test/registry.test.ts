import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mcpMetrics from '@mcp/mcp-metrics';
import { describe, expect, it } from 'vitest';
import { REFERENCE_DOC_PATH, REGISTRY_DIR, loadRegistry, loadSemconvCatalog, registryConflicts, renderReferenceDoc } from '../src/index';

const registry = loadRegistry();
const catalog = loadSemconvCatalog();
const repoRoot = join(__dirname, '..', '..', '..');

/** A copy of the registry with one more group file, to show the checks can fail. */
function registryWith(extraYaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'registry-'));
  cpSync(REGISTRY_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'zz-extra.yaml'), extraYaml);
  return loadRegistry(dir);
}

describe('the registry (Weaver format, libs/telemetry-registry/model)', () => {
  it('is well-formed: every attribute has type, brief, stability and examples of its type; every metric an instrument and a unit', () => {
    expect(registry.problems).toEqual([]);
    expect(registry.attributes.size).toBeGreaterThan(20);
    expect(registry.metrics.size).toBeGreaterThan(20);
  });

  it('builds on the conventions release of the installed @opentelemetry/semantic-conventions', () => {
    expect(registry.semconvDependency).toBe(`v${catalog.version}`);
  });

  it('declares no key or metric the conventions have — in particular none of the Model Context Protocol mcp.* keys', () => {
    const mcpConventionKeys = [...catalog.attributes.keys()].filter((k) => k.startsWith('mcp.'));
    expect(mcpConventionKeys).toContain('mcp.session.id');
    expect(registryConflicts(registry, catalog)).toEqual([]);
  });

  it.each([
    { name: 'a conventions key', yaml: 'mcp.session.id', expected: /mcp\.session\.id: collides with the conventions' mcp\.session\.id \(moved\)/ },
    { name: 'a key under a conventions template', yaml: 'http.request.header.x-mcp', expected: /collides with the conventions' http\.request\.header\.<key>/ },
    { name: 'the namespace of a conventions key', yaml: 'mcp.session', expected: /mcp\.session: is the namespace of the conventions' mcp\.session\.id/ },
  ])('fails on $name', ({ yaml, expected }) => {
    const bad = registryWith(`groups:\n  - id: registry.bad\n    type: attribute_group\n    brief: x\n    attributes:\n      - id: ${yaml}\n        type: string\n        stability: development\n        brief: x\n        examples: ['x']\n`);
    expect(registryConflicts(bad, catalog).join('\n')).toMatch(expected);
  });

  it('reports an entry without brief, examples or unit, and an example of the wrong type', () => {
    const bad = registryWith(
      `groups:\n  - id: registry.bad\n    type: attribute_group\n    brief: x\n    attributes:\n      - id: mcp.bad_count\n        type: int\n        stability: development\n        examples: ['three']\n      - id: mcp.bad_plain\n        type: string\n        stability: development\n        brief: x\n  - id: metric.mcp_bad_total\n    type: metric\n    metric_name: mcp_bad_total\n    instrument: counter\n    stability: development\n    brief: x\n`,
    );
    expect(bad.problems).toEqual([
      'registry.bad/mcp.bad_count: brief is missing',
      'registry.bad/mcp.bad_count: example "three" is not a int',
      'registry.bad/mcp.bad_plain: examples are missing',
      'mcp_bad_total: unit is missing (every instrument has a UCUM unit)',
    ]);
  });

  it('declares every metric and every emitted attribute constant of @mcp/mcp-metrics', () => {
    const constants = Object.entries(mcpMetrics as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
    const metrics = constants.filter(([name, value]) => name.startsWith('METRIC_MCP_') && value.startsWith('mcp_')).map(([, value]) => value);
    // The two seed keys the lib marks deprecated are never emitted (error.type replaces them).
    const neverEmitted = new Set<string>([mcpMetrics.ATTR_MCP_ERROR, mcpMetrics.ATTR_MCP_ERROR_TYPE]);
    const attributes = constants.filter(([name, value]) => name.startsWith('ATTR_MCP_') && !neverEmitted.has(value)).map(([, value]) => value);
    expect(metrics.length).toBeGreaterThan(20);
    // The registry declares what the system emits: BusinessMetrics can record user sessions, but no
    // service calls recordUserStart/recordUserEnd, so these three are defined and never emitted.
    const notEmittedByAnyService = ['mcp_active_user_sessions', 'mcp_user_session_duration_seconds', 'mcp_user_sessions_total'];
    expect(metrics.filter((m) => !registry.metrics.has(m)).sort()).toEqual(notEmittedByAnyService);
    expect(attributes.filter((a) => !registry.attributes.has(a))).toEqual([]);
    expect([...neverEmitted].filter((a) => registry.attributes.has(a))).toEqual([]);
  });

  it(`is what ${REFERENCE_DOC_PATH} says (regenerate: npx tsx libs/telemetry-registry/scripts/write-reference.ts)`, () => {
    expect(readFileSync(join(repoRoot, REFERENCE_DOC_PATH), 'utf8')).toBe(renderReferenceDoc(registry, catalog.version));
  });
});
