// Regenerates docs/telemetry-reference.md from the registry: npx tsx libs/telemetry-registry/scripts/write-reference.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, loadSemconvCatalog, REFERENCE_DOC_PATH, renderReferenceDoc } from '../src/index';

const registry = loadRegistry();
if (registry.problems.length > 0) {
  process.stderr.write(`the registry has problems:\n${registry.problems.join('\n')}\n`);
  process.exit(1);
}
const target = join(__dirname, '..', '..', '..', REFERENCE_DOC_PATH);
writeFileSync(target, renderReferenceDoc(registry, loadSemconvCatalog().version));
process.stdout.write(`wrote ${target}\n`);
