import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// Keeps the workflow-path benchmark working: its smoke mode (one round; per variant the four compiled
// services started fresh against the machine's Redis and PostgreSQL, 1 s warm-up, 1 s capacity, then,
// every variant's capacity known, 2 s at half the slowest one's) must complete, give every variant
// numbers at the same fixed rate, and see no failed workflow.
// No timing is asserted: CI machines are too noisy for that, and the numbers belong in BENCHMARKS.md.
const script = join(import.meta.dirname, '../src/workflow.bench.ts');
const dir = mkdtempSync(join(tmpdir(), 'mcp-bench-workflow-smoke-'));
const variants = ['bare', 'ours-100', 'ours-10', 'stock-100'];

interface Row {
  capacity: number;
  rate: number;
  keptUp: number;
  p50: number;
  p99: number;
  ok: number;
  errorCount: number;
  errors: Record<string, number>;
  spansPerWorkflow: number;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('workflow-path benchmark, smoke mode', () => {
  it('runs bare, ours at 100 % and 10 %, and stock through the four services with no failed workflow', { timeout: 300_000 }, async () => {
    const out = join(dir, 'smoke.json');
    const { stdout } = await promisify(execFile)(process.execPath, [script, '--smoke', '--json', out], { timeout: 240_000 });
    const { results } = JSON.parse(readFileSync(out, 'utf8')) as { results: Record<string, Row[]> };
    expect(Object.keys(results).sort()).toEqual([...variants].sort());
    for (const variant of variants) {
      const rows = results[variant] ?? [];
      expect(rows, variant).toHaveLength(1);
      const row = rows[0] as Row;
      expect(row.capacity, `${variant}: workflows/s at saturation`).toBeGreaterThan(0);
      expect(row.rate, `${variant}: fixed rate`).toBeGreaterThan(0);
      expect(row.rate, `${variant}: the same fixed rate as bare`).toBe(results['bare']?.[0]?.rate);
      expect(row.keptUp, `${variant}: achieved / offered`).toBeGreaterThanOrEqual(0);
      expect(row.ok, `${variant}: workflows measured at the fixed rate`).toBeGreaterThan(0);
      expect(Number.isFinite(row.p50) && Number.isFinite(row.p99), `${variant}: p50/p99`).toBe(true);
      expect(row.errorCount, `${variant}: ${JSON.stringify(row.errors)}`).toBe(0);
      // The preload was really there: the sink received spans from the instrumented variants only.
      if (variant === 'bare') expect(row.spansPerWorkflow).toBe(0);
      else expect(row.spansPerWorkflow, `${variant}: spans per workflow`).toBeGreaterThan(0);
      // And the table on stdout has the variant's row.
      expect(stdout.split('\n').some((line) => line.startsWith(`| ${variant} |`)), `a row for ${variant}`).toBe(true);
    }
  });
});
