import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/paths';

interface Installed {
  name: string;
  version: string;
  path: string;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Every package under `nodeModules`, recursing into each package's own nested node_modules. */
function walkNodeModules(root: string, nodeModules: string, found: Installed[], seen: Set<string>): void {
  let real: string;
  try {
    real = realpathSync(nodeModules);
  } catch {
    return;
  }
  if (seen.has(real)) return;
  seen.add(real);
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      if (!isDirectory(full)) continue;
      for (const scoped of readdirSync(full, { withFileTypes: true })) visitPackage(root, join(full, scoped.name), `${entry.name}/${scoped.name}`, scoped.isSymbolicLink(), found, seen);
    } else {
      visitPackage(root, full, entry.name, entry.isSymbolicLink(), found, seen);
    }
  }
}

function visitPackage(root: string, dir: string, name: string, symlink: boolean, found: Installed[], seen: Set<string>): void {
  // Workspace links point back into the repo, whose node_modules folders are walked on their own.
  if (symlink || !isDirectory(dir)) return;
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string };
    found.push({ name, version: manifest.version ?? '?', path: relative(root, dir) });
  } catch {
    // A folder without a package.json is not an installed package.
  }
  const nested = join(dir, 'node_modules');
  if (isDirectory(nested)) walkNodeModules(root, nested, found, seen);
}

/** The root node_modules and those of every workspace project (apps/*, libs/*, tools/*). */
function installedPackages(root: string): Installed[] {
  const found: Installed[] = [];
  const seen = new Set<string>();
  walkNodeModules(root, join(root, 'node_modules'), found, seen);
  for (const group of ['apps', 'libs', 'tools']) {
    const groupDir = join(root, group);
    if (!isDirectory(groupDir)) continue;
    for (const project of readdirSync(groupDir)) walkNodeModules(root, join(groupDir, project, 'node_modules'), found, seen);
  }
  return found;
}

/** `name: version at path, ...` for every @opentelemetry package installed more than once. */
function otelDuplicates(root: string): { names: string[]; duplicates: string[] } {
  const otel = installedPackages(root).filter((pkg) => pkg.name.startsWith('@opentelemetry/'));
  const byName = new Map<string, Installed[]>();
  for (const pkg of otel) byName.set(pkg.name, [...(byName.get(pkg.name) ?? []), pkg]);
  const duplicates = [...byName.entries()]
    .filter(([, copies]) => copies.length > 1)
    // Directory order is the file system's: sort, so the message (and the self-test) are stable.
    .map(([name, copies]) => `${name}: ${[...copies].sort((a, b) => a.path.localeCompare(b.path)).map((c) => `${c.version} at ${c.path}`).join(', ')}`);
  return { names: [...byName.keys()], duplicates };
}

function writePackage(dir: string, name: string, version: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version }));
}

describe('dependency hygiene', () => {
  it('has exactly one installed copy of every @opentelemetry/* package', () => {
    const { names, duplicates } = otelDuplicates(REPO_ROOT);
    expect(duplicates, `duplicated @opentelemetry packages:\n${duplicates.join('\n')}`).toEqual([]);
    // The walk found the SDK at all (a wrong root would pass vacuously).
    expect(names).toEqual(expect.arrayContaining(['@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/sdk-trace']));
  });

  it('the walk finds copies nested in packages and in workspace projects (checked on a made-up tree)', () => {
    const root = mkdtempSync(join(tmpdir(), 'otel-single-copy-'));
    try {
      writePackage(join(root, 'node_modules', '@opentelemetry', 'core'), '@opentelemetry/core', '3.0.0');
      writePackage(join(root, 'node_modules', '@opentelemetry', 'api'), '@opentelemetry/api', '1.10.0');
      const nested = join(root, 'node_modules', '@opentelemetry', 'instrumentation-x', 'node_modules', '@opentelemetry', 'core');
      writePackage(dirname(dirname(dirname(nested))), '@opentelemetry/instrumentation-x', '0.1.0');
      writePackage(nested, '@opentelemetry/core', '2.9.0');
      writePackage(join(root, 'libs', 'some-lib', 'node_modules', '@opentelemetry', 'api'), '@opentelemetry/api', '1.9.0');

      expect(otelDuplicates(root).duplicates.sort()).toEqual([
        '@opentelemetry/api: 1.9.0 at libs/some-lib/node_modules/@opentelemetry/api, 1.10.0 at node_modules/@opentelemetry/api',
        '@opentelemetry/core: 3.0.0 at node_modules/@opentelemetry/core, 2.9.0 at node_modules/@opentelemetry/instrumentation-x/node_modules/@opentelemetry/core',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
