#!/usr/bin/env node
'use strict';
/**
 * Copies one app of the workspace and exactly the packages it needs at run time into a new
 * directory, keeping their workspace-relative paths, so that Node resolves every `require` in the
 * copy as it does in the workspace:
 *
 *   node deploy/docker/prune-workspace.cjs apps/frontend /out
 *   → /out/apps/frontend/{package.json,dist}, /out/libs/<lib>/{package.json,<its "files">},
 *     /out/node_modules/... (only the production closure), /out/node_modules/@mcp/<lib> → ../../libs/<lib>
 *
 * Why not `npm ci --omit=dev --workspace=…`: with workspaces, npm still links every workspace the
 * app names in devDependencies (test-kit, otlp-receiver) and installs their dependencies (vitest,
 * …), so the "production" tree is most of the workspace. This walks the real, installed tree from
 * the app's `dependencies` (and `optionalDependencies`, and installed non-optional peers), the way
 * Node's resolution does, and copies nothing else: no devDependency, no test, no source, no file
 * Node does not load at run time (type declarations, packages' source maps and documentation).
 *
 * Run after `npm ci` and the app's build, in the build stage of the app's Dockerfile.
 */
const fs = require('node:fs');
const path = require('node:path');

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Node's lookup: `<dir>/node_modules/<name>`, then the parent directories, never above `root`. */
function resolvePackage(root, fromDir, name) {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir || path.relative(root, parent).startsWith('..')) return undefined;
    dir = parent;
  }
}

/** The run-time dependencies a package declares: dependencies, optionalDependencies, required peers. */
function runtimeDependencies(manifest) {
  const required = Object.keys(manifest.dependencies ?? {});
  const optional = Object.keys(manifest.optionalDependencies ?? {});
  const peers = Object.keys(manifest.peerDependencies ?? {}).filter((name) => !manifest.peerDependenciesMeta?.[name]?.optional);
  return { required: [...new Set(required)], optional: [...new Set([...optional, ...peers])] };
}

/**
 * The production closure of `appDir` (workspace-relative), as a plan of what to copy:
 * `packages` are installed packages (copied without their nested node_modules), `workspaces` are
 * workspace libraries (copied as published: package.json + their `files`), `links` the symlinks
 * from node_modules to workspaces.
 */
function planClosure(root, appDir) {
  const absoluteRoot = path.resolve(root);
  const appAbs = path.resolve(absoluteRoot, appDir);
  const packages = new Set();
  const workspaces = new Set();
  const links = new Map();
  const queue = [appAbs];
  const visited = new Set();
  while (queue.length > 0) {
    const fromDir = queue.shift();
    if (visited.has(fromDir)) continue;
    visited.add(fromDir);
    const manifest = readJson(path.join(fromDir, 'package.json'));
    const { required, optional } = runtimeDependencies(manifest);
    for (const [names, mustExist] of [
      [required, true],
      [optional, false],
    ]) {
      for (const name of names) {
        const location = resolvePackage(absoluteRoot, fromDir, name);
        if (!location) {
          if (mustExist) throw new Error(`${path.relative(absoluteRoot, fromDir) || '.'} needs ${name}, which is not installed (run npm ci first)`);
          continue;
        }
        const real = fs.realpathSync(location);
        const relLocation = path.relative(absoluteRoot, location);
        if (fs.lstatSync(location).isSymbolicLink()) {
          const relReal = path.relative(absoluteRoot, real);
          if (relReal.startsWith('..')) throw new Error(`${relLocation} links outside the workspace (${real})`);
          links.set(relLocation, relReal);
          if (real !== appAbs) workspaces.add(relReal);
        } else {
          packages.add(relLocation);
        }
        queue.push(location);
      }
    }
  }
  return { app: path.relative(absoluteRoot, appAbs), packages: [...packages].sort(), workspaces: [...workspaces].sort(), links };
}

// Files Node never loads when it runs the app: type declarations, TypeScript sources, build info,
// and, in installed packages, source maps (the images run without --enable-source-maps; our own
// maps stay, so that flag gives TypeScript positions) and documentation other than licences. They
// were half of each app's closure (BENCHMARKS.md, "Image sizes").
const NOT_RUN = /\.(d\.[cm]?ts(\.map)?|[cm]?tsx?|tsbuildinfo)$/i;
const NOT_RUN_IN_PACKAGES = /\.(map|md|markdown)$/i;
const LICENCE = /^(licen[cs]e|notice|copying|authors)/i;

function runTimeFile(source, inPackage) {
  const name = path.basename(source);
  if (!NOT_RUN.test(name) && !(inPackage && NOT_RUN_IN_PACKAGES.test(name))) return true;
  return LICENCE.test(name) || fs.lstatSync(source).isDirectory();
}

/** Copies a package directory without the node_modules inside it (those are copied when needed). */
function copyPackage(src, dest) {
  fs.cpSync(src, dest, {
    recursive: true,
    dereference: false,
    filter: (source) => path.relative(src, source).split(path.sep)[0] !== 'node_modules' && runTimeFile(source, true),
  });
}

/** A workspace library as it would be published: package.json and the entries of its "files". */
function copyWorkspace(src, dest) {
  const manifest = readJson(path.join(src, 'package.json'));
  if (!Array.isArray(manifest.files) || manifest.files.length === 0) {
    throw new Error(`${src}/package.json has no "files": say what it ships (e.g. ["dist"])`);
  }
  fs.mkdirSync(dest, { recursive: true });
  fs.copyFileSync(path.join(src, 'package.json'), path.join(dest, 'package.json'));
  for (const entry of manifest.files) {
    const from = path.join(src, entry);
    if (!fs.existsSync(from)) throw new Error(`${from} is listed in "files" but missing (build the library first)`);
    fs.cpSync(from, path.join(dest, entry), { recursive: true, filter: (source) => runTimeFile(source, false) });
  }
}

function prune(root, appDir, outDir) {
  const plan = planClosure(root, appDir);
  const absoluteRoot = path.resolve(root);
  const out = path.resolve(outDir);
  fs.mkdirSync(out, { recursive: true });

  const appSrc = path.join(absoluteRoot, plan.app);
  const appManifest = readJson(path.join(appSrc, 'package.json'));
  const main = appManifest.main ?? './dist/main.js';
  const buildDir = main.split('/').filter((part) => part && part !== '.')[0];
  if (!fs.existsSync(path.join(appSrc, buildDir))) throw new Error(`${plan.app}/${buildDir} is missing: build the app first`);
  fs.mkdirSync(path.join(out, plan.app), { recursive: true });
  fs.copyFileSync(path.join(appSrc, 'package.json'), path.join(out, plan.app, 'package.json'));
  fs.cpSync(path.join(appSrc, buildDir), path.join(out, plan.app, buildDir), { recursive: true, filter: (source) => runTimeFile(source, false) });

  for (const rel of plan.workspaces) copyWorkspace(path.join(absoluteRoot, rel), path.join(out, rel));
  for (const rel of plan.packages) copyPackage(path.join(absoluteRoot, rel), path.join(out, rel));
  for (const [rel, target] of plan.links) {
    const linkPath = path.join(out, rel);
    fs.mkdirSync(path.dirname(linkPath), { recursive: true });
    fs.rmSync(linkPath, { force: true, recursive: true });
    fs.symlinkSync(path.relative(path.dirname(linkPath), path.join(out, target)), linkPath);
  }
  return plan;
}

module.exports = { planClosure, prune, resolvePackage, runtimeDependencies };

if (require.main === module) {
  const [appDir, outDir, root = process.cwd()] = process.argv.slice(2);
  if (!appDir || !outDir) {
    process.stderr.write('usage: prune-workspace.cjs <app dir, e.g. apps/frontend> <output dir> [workspace root]\n');
    process.exit(64);
  }
  try {
    const plan = prune(root, appDir, outDir);
    process.stdout.write(`${plan.app}: ${plan.packages.length} packages, workspaces ${plan.workspaces.join(', ') || '(none)'} → ${outDir}\n`);
  } catch (error) {
    process.stderr.write(`prune-workspace: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
