import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The library's production sources (not its tests), by file name. */
const sources = readdirSync(__dirname)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => ({ file, text: readFileSync(join(__dirname, file), 'utf8') }));

describe('the sources of @mcp/otel-bootstrap', () => {
  it('read the environment only in config.ts (process.env, or the SDK helpers that read it)', () => {
    const readers = sources.filter(({ file, text }) => file !== 'config.ts' && /process\.env|get(Number|String|Boolean|StringList)FromEnv/.test(text));
    expect(readers.map(({ file }) => file)).toEqual([]);
    expect(sources.find(({ file }) => file === 'config.ts')?.text).toContain('process.env');
  });

  it('load packages lazily only through the typed loaders of packages.ts', () => {
    const casts = sources.filter(({ file, text }) => file !== 'packages.ts' && /require\([^)]*\)\s+as\s+typeof import/.test(text));
    expect(casts.map(({ file }) => file)).toEqual([]);
  });

  it('say at their top why they are longer than 300 lines', () => {
    const long = sources.filter(({ text }) => text.split('\n').length > 300);
    const unexplained = long.filter(({ text }) => !/^\/\*[\s\S]*?\bOver 300 lines\b/.test(text));
    expect(unexplained.map(({ file }) => file)).toEqual([]);
  });
});
