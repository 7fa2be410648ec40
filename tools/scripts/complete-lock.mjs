#!/usr/bin/env node
// Completes package-lock.json with the per-platform optional packages (rollup, unrs-resolver, ...)
// that the npm registry reachable from these machines does not serve for other platforms: npm then
// leaves them out of the lock, and `npm ci` — here, in CI elsewhere, in `docker build` — refuses a
// lock that misses a dependency. Each added entry has the locked version and the os/cpu/libc of the
// package (read from a version that is served; those fields do not change between versions), so npm
// skips it on other platforms and fetches it where it applies. Run after `npm install` changes the lock.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;
const added = [];

function platformOf(name) {
  const versions = JSON.parse(execFileSync('npm', ['view', name, 'versions', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  for (const version of [...versions].reverse()) {
    try {
      const meta = JSON.parse(execFileSync('npm', ['view', `${name}@${version}`, 'os', 'cpu', 'libc', 'license', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      return meta;
    } catch {
      // not served either; try an older one
    }
  }
  throw new Error(`no served version of ${name} to read its platform from`);
}

for (const [path, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    // npm looks the dependency up next to its parent, then in every node_modules above it.
    const parentDir = path === '' ? '' : `${path}/`;
    const candidates = [`${parentDir}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((c) => packages[c])) continue;
    if (!/^\d+\.\d+\.\d+/.test(spec)) throw new Error(`${name}@${spec} (from ${path || 'root'}) is not an exact version`);
    const meta = platformOf(name);
    packages[`node_modules/${name}`] = {
      version: spec,
      ...(meta.cpu && { cpu: [].concat(meta.cpu) }),
      ...(meta.libc && { libc: [].concat(meta.libc) }),
      ...(meta.license && { license: meta.license }),
      optional: true,
      ...(meta.os && { os: [].concat(meta.os) }),
    };
    added.push(`${name}@${spec}`);
  }
}

lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `complete-lock: added ${added.length} entries: ${added.join(', ')}` : 'complete-lock: nothing missing');
