import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { OtlpReceiver, ReceivedSpan } from '@mcp/otlp-receiver';
import { addToInventory, emptyInventory, mergeInventory, type TelemetryInventory } from '@mcp/telemetry-registry';

/**
 * Every system test's receiver leaves an inventory here when its system stops (support/system.ts);
 * the global teardown (telemetry-check.global.ts) merges them and checks the whole run.
 */
export const INVENTORY_DIR = join(__dirname, '..', '..', 'test-results', 'telemetry-inventory');

/**
 * Writes what `receiver` got (names, types, units, a few values; no record) as one inventory file;
 * spans `keepSpan` rejects (a test's own forged input) are left out.
 */
export function saveInventory(receiver: OtlpReceiver, testFile: string, keepSpan: (span: ReceivedSpan) => boolean = () => true): TelemetryInventory {
  const inventory = addToInventory(emptyInventory(), { spans: receiver.spans().filter(keepSpan), metrics: receiver.metrics(), logs: receiver.logs() }, basename(testFile));
  mkdirSync(INVENTORY_DIR, { recursive: true });
  writeFileSync(join(INVENTORY_DIR, `${basename(testFile)}-${process.pid}-${Date.now()}.json`), JSON.stringify(inventory));
  return inventory;
}

/** The inventories of this run, merged. */
export function loadInventories(): TelemetryInventory {
  const merged = emptyInventory();
  let files: string[] = [];
  try {
    files = readdirSync(INVENTORY_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return merged;
  }
  for (const file of files) mergeInventory(merged, JSON.parse(readFileSync(join(INVENTORY_DIR, file), 'utf8')) as TelemetryInventory);
  return merged;
}

export function clearInventories(): void {
  rmSync(INVENTORY_DIR, { recursive: true, force: true });
}
