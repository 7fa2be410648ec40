import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Keeps the load benchmark working: its smoke mode (one round, one second per variant, Express
// only, latency at half the slowest variant's rate, and the export path at one rate) must complete
// and print tables with numbers. No timing is asserted: CI machines are too noisy for that, and the
// numbers belong in BENCHMARKS.md.
const script = join(import.meta.dirname, '../src/load.bench.ts');

describe('load benchmark, smoke mode', () => {
  it('runs bare, ours and stock and reports ratios, CPU per request and latency at a rate every variant sustains', { timeout: 300_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script, '--smoke', '--export'], { timeout: 240_000 });
    const rows = stdout.split('\n').filter((line) => line.startsWith('| '));
    const row = (variant: string) => rows.find((line) => line.startsWith(`| ${variant} |`))?.split('|').map((cell) => cell.trim());
    for (const variant of ['bare', 'ours-100', 'stock-100']) {
      const cells = row(variant);
      expect(cells, `a row for ${variant}`).toBeDefined();
      // req/s, server CPU µs per request and p50 / p99 are numbers.
      expect(Number(cells?.[2])).toBeGreaterThan(0);
      expect(Number(cells?.[5])).toBeGreaterThan(0);
      expect(cells?.[7]).toMatch(/^\d+\.\d+ \/ \d+\.\d+$/);
      // Achieved / offered at the fixed rate.
      expect(Number(cells?.[10])).toBeGreaterThan(0);
    }
    expect(Number(row('ours-100')?.[3])).toBeGreaterThan(0);
    // The fixed rate was set by the run's own slowest variant, and the side-by-side tables are there.
    expect(stdout).toMatch(/Latency at a fixed rate of 50 % of the slowest variant's saturation rate in the round: \d+\/s \((bare|ours-100|stock-100)\)/);
    expect(rows.find((line) => line.startsWith('| express |') && line.includes('(')), 'a side-by-side row for express').toBeDefined();
    // The export path: the generator's spans were counted by the sink.
    const exportRow = rows.find((line) => line.startsWith('| ours-100 | 2000 |'));
    expect(exportRow, 'an export-path row for ours-100').toBeDefined();
    expect(Number(exportRow?.split('|')[3])).toBeGreaterThan(0);
  });
});
