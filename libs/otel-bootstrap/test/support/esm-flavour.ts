import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The module system the fixtures run in: `cjs` (the fixtures as written, `--require` preload) or
 * `esm` (each fixture turned into an ES module that `import`s every library, `--import` preload).
 * The vitest config runs the instrumentation tests once per flavour.
 */
export type FixtureFlavour = 'cjs' | 'esm';

export const FIXTURE_FLAVOUR: FixtureFlavour = process.env['MCP_FIXTURE_FLAVOUR'] === 'esm' ? 'esm' : 'cjs';

const REQUIRE_STATEMENT = /^(const|let|var) (\{[^}]*\}|[\w$]+) = require\(([^()]+|path\.resolve\([^)]*\))\);$/gm;

/**
 * The ES module source of a CommonJS fixture: every top-level `const x = require(m)` becomes an
 * `import` of the same module (a default import: a CommonJS library's `module.exports`, the same
 * object the instrumentations patch), so the app loads each library through the ES module loader;
 * a fixture's own helper (`./lib/x.cjs`) is imported as its ES module flavour (`./lib/x.esm.mjs`),
 * whose `module.exports = {...}` becomes named exports. Fails on any `require` it cannot turn
 * into an import, so a fixture never silently stays CommonJS.
 */
export function toEsmSource(cjs: string, fixture = 'fixture'): string {
  const esm = cjs
    .replace(/^'use strict';\n/m, '')
    .replace(/^module\.exports = \{([^}]*)\};$/m, 'export {$1};')
    .replace(/require\('(\.[^']*)\.cjs'\)/g, "require('$1.esm.mjs')")
    .replace(REQUIRE_STATEMENT, (_all, _kind: string, binding: string, target: string) => {
      const specifier = target.startsWith('path.resolve(') ? `\${pathToFileURL(${target}).href}` : undefined;
      const from = specifier ? `await import(\`${specifier}\`)` : undefined;
      if (from) return `const ${binding} = (${from}).default;`;
      // Destructured: named imports (an ES module package may have no default export at all).
      if (binding.startsWith('{')) return `import ${binding.replace(/(\w+)\s*:\s*(\w+)/g, '$1 as $2')} from ${target};`;
      // Called or constructed (express(), new Koa()): the default export; else the namespace, whose
      // bindings are what the instrumentations patch (a patched function of a CommonJS package is
      // not written back to its default export).
      const called = new RegExp(`(\\bnew ${binding}\\b|\\b${binding}\\()`).test(cjs);
      return called ? `import ${binding} from ${target};` : `import * as ${binding} from ${target};`;
    })
    .replace(/\b__dirname\b/g, 'import.meta.dirname')
    .replace(/\b__filename\b/g, 'import.meta.filename');
  if (/\brequire\(|\bmodule\.exports\b/.test(esm)) throw new Error(`${fixture}: a require() or module.exports the ES module flavour cannot convert`);
  return esm.includes('pathToFileURL(') ? `import { pathToFileURL } from 'node:url';\n${esm}` : esm;
}

/** Writes `<fixture>.esm.mjs` beside `<fixture>.cjs` (same folder: same relative paths and node_modules) and returns its path. */
export function esmFlavourOf(cjsPath: string): string {
  const esmPath = cjsPath.replace(/\.cjs$/, '.esm.mjs');
  const source = readFileSync(cjsPath, 'utf8');
  for (const [, helper = ''] of source.matchAll(/require\('(\.[^']*\.cjs)'\)/g)) esmFlavourOf(resolve(dirname(cjsPath), helper));
  writeFileSync(esmPath, toEsmSource(source, cjsPath));
  return esmPath;
}
