/**
 * The live check of the whole system-test run (vitest globalSetup): every test file's system leaves an
 * inventory of what its four services and the web page exported; after the last file, they are merged
 * and every attribute key and metric name is classified against the OpenTelemetry semantic
 * conventions and our registry (libs/telemetry-registry). The run fails on an undeclared or deprecated
 * name, a type, value or unit other than the registry's, a registry name colliding with the
 * conventions, and — when every file that starts the system ran — a registry entry nothing emitted.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyInventory, formatCounts, loadRegistry, loadSemconvCatalog } from '@mcp/telemetry-registry';
import { INVENTORY_DIR, clearInventories, loadInventories } from './telemetry-inventory';

const TEST_DIR = join(__dirname, '..');

/** The test files that start the system (and so leave an inventory). */
function systemTestFiles(): string[] {
  return readdirSync(TEST_DIR).filter((f) => f.endsWith('.test.ts') && /\bstartSystem\(/.test(readFileSync(join(TEST_DIR, f), 'utf8')));
}

export function setup(): void {
  clearInventories();
}

export function teardown(): void {
  const inventory = loadInventories();
  if (inventory.sources.length === 0) return;
  const expected = systemTestFiles();
  const missing = expected.filter((f) => !inventory.sources.includes(f));
  const wholeRun = missing.length === 0;
  const result = classifyInventory(inventory, loadRegistry(), loadSemconvCatalog(), { requireEveryEntryEmitted: wholeRun });

  const scope = wholeRun ? `the whole run (${expected.length} files)` : `${inventory.sources.length} of ${expected.length} files (registry coverage not checked; not run: ${missing.join(', ')})`;
  console.log(`[TELEMETRY] live check of ${scope}: ${formatCounts(result.counts)}; ${result.violations.length} violation(s)`);
  writeFileSync(join(INVENTORY_DIR, '..', 'telemetry-check.json'), JSON.stringify({ scope, counts: result.counts, violations: result.violations, names: result.names }, null, 2));
  if (result.violations.length > 0) {
    console.error(`[TELEMETRY] live check failed:\n  ${result.violations.join('\n  ')}`);
    // Runs in vitest's main process after the files: a thrown error is only logged there.
    process.exitCode = 1;
  }
}
