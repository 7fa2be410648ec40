import type { Registry } from './registry';

/** Where the generated reference lives, relative to the repository root. */
export const REFERENCE_DOC_PATH = 'docs/telemetry-reference.md';

const cell = (value: string): string => value.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (value: string): string => `\`${value}\``;

/**
 * The Markdown reference of the registry: one table of attributes and one of metrics. Generated (by
 * `npx tsx libs/telemetry-registry/scripts/write-reference.ts`), never edited by hand; a test fails
 * when it is out of date.
 */
export function renderReferenceDoc(registry: Registry, semconvVersion: string): string {
  const lines = [
    '<!-- Generated from libs/telemetry-registry/model by libs/telemetry-registry/scripts/write-reference.ts. Do not edit. -->',
    '# Telemetry reference: our own attributes and metrics',
    '',
    `Registry \`${registry.name}\` in OpenTelemetry Weaver's registry format (\`libs/telemetry-registry/model\`). It builds on the`,
    `OpenTelemetry semantic conventions ${registry.semconvDependency} (\`@opentelemetry/semantic-conventions\` ${semconvVersion}); every other`,
    'name the services export is a name of those conventions (see the README, "Semantic conventions").',
    '',
    '**`mcp.*` is this project\'s business namespace** (the MCP system: model routing, workflows, collaboration). It is',
    'not the Model Context Protocol namespace of the OpenTelemetry GenAI conventions (`mcp.method.name`,',
    '`mcp.session.id`, …); a test fails if one of our keys collides with one of theirs.',
    '',
    `## Attributes (${registry.attributes.size})`,
    '',
    '| key | type | stability | brief | examples |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const a of [...registry.attributes.values()].sort((x, y) => x.key.localeCompare(y.key))) {
    const type = a.members ? `enum: ${a.members.map(code).join(', ')}` : code(a.type);
    lines.push(`| ${code(a.key)} | ${type} | ${a.stability} | ${cell(a.brief)} | ${a.examples.map((e) => code(String(e))).join(', ')} |`);
  }
  lines.push('', `## Metrics (${registry.metrics.size})`, '', '| name | instrument | unit | stability | brief | attributes |', '| --- | --- | --- | --- | --- | --- |');
  for (const m of [...registry.metrics.values()].sort((x, y) => x.name.localeCompare(y.name))) {
    const attributes = m.attributes.map((a) => `${code(a.ref)}${a.requirementLevel === 'required' ? '' : ` (${a.requirementLevel.replace(/_/g, ' ')})`}`).join(', ');
    lines.push(`| ${code(m.name)} | ${m.instrument} | ${code(m.unit)} | ${m.stability} | ${cell(m.brief)} | ${attributes || '—'} |`);
  }
  return `${lines.join('\n')}\n`;
}
