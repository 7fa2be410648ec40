import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// Keeps the callgrind benchmark and its profile reader working: a short count (Fastify, bare and our
// preload with every request unsampled, a few hundred requests under valgrind) must print a row of
// instruction counts per variant, and the profile of the two must name our preload's functions by a
// folder-independent name. Counts are not timings: the preload's extra work is asserted, its size is not.
const run = promisify(execFile);
const bench = join(import.meta.dirname, '../src/instructions.bench.ts');
const profiler = join(import.meta.dirname, '../src/callgrind-profile.ts');
const dir = mkdtempSync(join(tmpdir(), 'mcp-bench-instructions-smoke-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('instructions benchmark, a short count', () => {
  it('counts bare and ours-0 per request, and the profile compares them per function', { timeout: 600_000 }, async () => {
    const requests = 200;
    const { stdout } = await run(process.execPath, [bench, '--frameworks', 'fastify', '--warmup', '300', '--requests', String(requests), '--variants', 'bare,ours-0', '--profile', dir], { timeout: 540_000 });
    const cells = (variant: string) =>
      stdout
        .split('\n')
        .find((line) => line.startsWith(`| ${variant} |`))
        ?.split('|')
        .map((cell) => cell.trim());
    const count = (text: string | undefined) => Number(text?.replaceAll(',', ''));
    const bare = cells('bare');
    const ours = cells('ours-0');
    expect(bare?.[4], 'bare is the baseline').toBe('baseline');
    expect(count(bare?.[2]), 'bare: main-thread instructions per request').toBeGreaterThan(0);
    expect(count(ours?.[2]), 'ours-0 runs more instructions per request than bare').toBeGreaterThan(count(bare?.[2]));
    expect(ours?.[4], 'ours-0 vs bare').toMatch(/^\+[\d,]+$/);
    expect(count(ours?.[5]), 'all threads ≥ the main thread').toBeGreaterThanOrEqual(count(ours?.[2]));
    // Every request unsampled: no span reached the sink.
    expect(ours?.[8]).toBe('0.00');

    const profile = (variant: string) => join(dir, (readdirSync(dir).find((f) => f.startsWith(`fastify-${variant}-`) && f.endsWith('.map')) ?? '?').replace(/\.map$/, ''));
    const { stdout: diff } = await run(process.execPath, [profiler, profile('ours-0'), '--requests', String(requests), '--vs', profile('bare'), '--top', '200'], { timeout: 120_000 });
    const lines = diff.split('\n');
    expect(count(lines[0]?.trim().split(/\s+/)[0]), 'total per request').toBe(count(ours?.[2]));
    expect(lines[1], 'the difference to bare').toMatch(/more than the other$/);
    // Our preload's JavaScript, named by the build-independent folder.
    expect(lines.some((line) => line.includes('libs/otel-bootstrap/<build>/'))).toBe(true);
    expect(lines.some((line) => line.includes('libs/otel-bootstrap/dist/'))).toBe(false);
  });
});
