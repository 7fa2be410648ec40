import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';

/**
 * Whether the entry script will run as an ES module: `.mjs`/`.mts`, or `.js`/`.ts` under a
 * package.json with `"type": "module"`. Its imports are seen by the ES module hook only, which
 * startTelemetry then registers (esm-hooks.ts); a CommonJS app never loads it.
 */
export function entryIsEsm(entry: string | undefined = process.argv[1]): boolean {
  if (!entry) return false;
  const ext = extname(entry);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts') return false;
  for (let dir = dirname(resolve(entry)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dirname(dir) === dir) return false;
  }
}
