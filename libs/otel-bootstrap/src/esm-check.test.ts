import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryIsEsm } from './esm-check';

describe('entryIsEsm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esm-check-'));
  mkdirSync(join(dir, 'esm', 'src'), { recursive: true });
  mkdirSync(join(dir, 'cjs', 'dist'), { recursive: true });
  writeFileSync(join(dir, 'esm', 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(dir, 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));

  it.each([
    ['app.mjs', true],
    ['app.cjs', false],
    [join(dir, 'esm', 'src', 'main.js'), true],
    [join(dir, 'cjs', 'dist', 'main.js'), false],
    ['', false],
  ])('%s → %s', (entry, esm) => {
    expect(entryIsEsm(entry)).toBe(esm);
  });
});
