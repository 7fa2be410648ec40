import { Module, isBuiltin } from 'node:module';
import { dirname, isAbsolute, normalize, resolve, sep } from 'node:path';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { packageNameOf } from './instrumentations';

type HookOptions = { internals?: boolean } | undefined;
type OnRequire = (...args: never[]) => unknown;
type RequireFunction = (this: unknown, id: string) => unknown;
interface RitmHook {
  /** require-in-the-middle's patched `require` and the one it calls through to (set by its constructor). */
  _require?: RequireFunction;
  _origRequire?: RequireFunction;
  _unhooked?: boolean;
  unhook(): void;
}
type HookConstructor = new (modules: string[] | null, options: HookOptions, onRequire: OnRequire) => RitmHook;

/** The packages and built-ins the created instrumentations patch; grows as they are created. */
const hookedModules: string[] = [];
/**
 * By package: the files in it that an instrumentation patches, relative to the package directory
 * (`lib/client.js` for `pg/lib/client.js`), or `undefined` when a definition names a subpath of the
 * package and so every file in it must reach the hook.
 */
const hookedPackages = new Map<string, string[] | undefined>();
let restricted = false;

/**
 * The instrumentation base hooks `require()` once for all instrumentations, for every module
 * (`require-in-the-middle` with no module list), so each `require()` of the app is resolved a second
 * time from its package's base directory — some 1,700 times for a small service, +6 MB RSS with
 * nothing patched (BENCHMARKS.md). Given the list of the modules the instrumentations patch, the
 * hook resolves again only those; and {@link skipsHook} in front of it lets through, unresolved,
 * every require whose target the hook would only look at and return unchanged. The list is the one
 * array handed to the hook, filled by {@link hookModulesOf} as instrumentations are created (a
 * library's is created before the library loads). Must run before the first instrumentation is created.
 */
export function restrictRequireHook(): void {
  if (restricted) return;
  restricted = true;
  const ritm = require('require-in-the-middle') as { Hook: HookConstructor };
  const Hook = ritm.Hook;
  ritm.Hook = function HookOfInstrumentedModules(modules: string[] | null, options: HookOptions, onRequire: OnRequire) {
    const hook = new Hook(modules ?? hookedModules, options, onRequire);
    // Only the instrumentation base's shared hook (no list, internal files too) gets the filter.
    if (modules === null && options?.internals === true) requireThroughFilter(hook);
    return hook;
  } as unknown as HookConstructor;
}

/** Adds the modules (and files) an instrumentation patches to the hook's list. */
export function hookModulesOf(instrumentation: Instrumentation): void {
  // Instrumentations made with the instrumentation base have their definitions; others hook nothing.
  const definitions =
    (instrumentation as { getModuleDefinitions?: () => Array<{ name: string; files?: Array<{ name: string }> }> }).getModuleDefinitions?.() ?? [];
  for (const { name, files } of definitions) {
    if (isAbsolute(name)) continue;
    if (!hookedModules.includes(name)) hookedModules.push(name);
    if (isBuiltin(name)) continue;
    const packageName = packageNameOf(name);
    const packageFiles = hookedPackages.has(packageName) ? hookedPackages.get(packageName) : [];
    if (name !== packageName || packageFiles === undefined) {
      hookedPackages.set(packageName, undefined);
      continue;
    }
    for (const file of files ?? []) packageFiles.push(normalize(file.name).slice(packageName.length + 1).split(sep).join('/'));
    hookedPackages.set(packageName, packageFiles);
  }
  generation++;
}

/** What the hook looks at now (for tests and diagnostics). */
export function hookedModuleNames(): readonly string[] {
  return hookedModules;
}

const NODE_MODULES = `${sep}node_modules${sep}`;

/** Where a file sits: its package (by the last `node_modules` in its path, as the hook reads it) and that package's directory. */
interface Place {
  packageName: string;
  directory: string;
}

function placeOf(path: string): Place | undefined {
  const at = path.lastIndexOf(NODE_MODULES);
  if (at === -1) return undefined;
  const start = at + NODE_MODULES.length;
  const packageName = packageNameOf(sep === '/' ? path.slice(start) : path.slice(start).split(sep).join('/'));
  return { packageName, directory: path.slice(0, start + packageName.length) };
}

/** Each parent module's place, looked up once: most requires come from a file that made others before. */
const placeOfParent = new WeakMap<object, Place | null>();

/**
 * In one directory of a hooked package: the files the hook must see (its main file, as the hook
 * resolves it, and the files the instrumentations name; package-relative, `/`-separated), and
 * every name a require can end with to reach one of them (`client`, `client.js`, `index`, `lib`:
 * a file's name with or without its extensions, and each directory on its path).
 */
interface Watched {
  files: string[];
  lastSegments: Set<string>;
  /** {@link hookedPackages} as it was when this was made. */
  generation: number;
}
const watchedInDirectory = new Map<string, Watched | null>();
/** Bumped whenever {@link hookedPackages} changes. */
let generation = 0;

/**
 * Whether require-in-the-middle, given this require, would certainly return the module unchanged
 * and without calling any instrumentation: then the require skips the hook and its second
 * resolution. It calls an instrumentation only for a hooked built-in, for a hooked package's main
 * file (or a subpath named in the list) and for the files of a package that an instrumentation
 * names; it returns what it patched before for those same files. Decided from the id and the
 * requiring file's path alone, without touching the file system: a bare id (`pg`, `pino/file`)
 * lands in the package it names, and a relative one (`./x`, `../y`) next to its parent. Anything
 * else (`#imports`, a parent without a file name) goes to the hook. (Not covered: a package
 * installed under another package's directory name, e.g. a pnpm alias of `pg` required as `db`;
 * the hook itself, reading the real path, would have patched it.)
 */
export function skipsHook(parent: unknown, id: string): boolean {
  if (isBuiltin(id)) return !hookedModules.includes(id.startsWith('node:') ? id.slice(5) : id);
  const first = id.charCodeAt(0);
  if (first !== 46 /* . */ && first !== 47 /* / */ && !isAbsolute(id)) {
    return first !== 35 /* # */ && !hookedPackages.has(packageNameOf(id));
  }
  const parentFile = first === 46 ? (parent as { filename?: unknown } | null)?.filename : '';
  if (typeof parentFile !== 'string' || (first === 46 && parentFile === '')) return false;
  let place: Place | undefined;
  if (first === 46 && !id.includes('..')) {
    // Below the parent's directory: in the parent's package.
    let cached = placeOfParent.get(parent as object);
    if (cached === undefined) placeOfParent.set(parent as object, (cached = placeOf(parentFile) ?? null));
    place = cached ?? undefined;
  } else {
    place = placeOf(resolve(dirname(parentFile), id));
  }
  if (place === undefined || !hookedPackages.has(place.packageName)) return true;
  const watched = watchedIn(place);
  if (watched === null) return false;
  // Most requires inside a hooked package end with a name none of its watched files can have.
  const last = lastSegmentOf(id);
  if (last !== '' && last !== '.' && last !== '..' && !watched.lastSegments.has(last)) return true;
  const relative = resolve(dirname(parentFile), id).slice(place.directory.length + 1).split(sep).join('/');
  return relative !== '' && !watched.files.some((file) => mayResolveTo(relative, file));
}

/** `client` for `./lib/client`, `lib` for `../lib/`. */
function lastSegmentOf(id: string): string {
  let end = id.length;
  while (end > 0 && (id[end - 1] === '/' || id[end - 1] === sep)) end--;
  let start = end;
  while (start > 0 && id[start - 1] !== '/' && id[start - 1] !== sep) start--;
  return id.slice(start, end);
}

/** Whether `./lib/client` (as `lib/client`) may resolve to `lib/client.js` or `lib/client/index.js`. */
function mayResolveTo(relative: string, file: string): boolean {
  return file.startsWith(relative) && (file.length === relative.length || file[relative.length] === '.' || file[relative.length] === '/');
}

/** What the hook must see in the package directory of `place`; null when it must see every file of it. */
function watchedIn({ packageName, directory }: Place): Watched | null {
  const known = watchedInDirectory.get(directory);
  if (known !== undefined && (known === null || known.generation === generation)) return known;
  const named = hookedPackages.get(packageName);
  const main = named && mainFileOf(packageName, directory);
  const watched = named && main ? { files: [main, ...named], lastSegments: new Set(named.concat(main).flatMap(namesReaching)), generation } : null;
  watchedInDirectory.set(directory, watched);
  return watched;
}

/** `lib`, `client`, `index`, `index.js` for `lib/client/index.js`. */
function namesReaching(file: string): string[] {
  return file.split('/').flatMap((segment) => segment.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.')));
}

/** The package's main file as require-in-the-middle finds it (`require.resolve` from the package directory); null if none. */
function mainFileOf(packageName: string, directory: string): string | null {
  try {
    const file = require.resolve(packageName, { paths: [directory] });
    return file.startsWith(directory + sep) ? file.slice(directory.length + 1).split(sep).join('/') : null;
  } catch {
    return null;
  }
}

/**
 * Puts {@link skipsHook} in front of require-in-the-middle's patched `require`: a require it lets
 * through goes straight to the `require` the hook itself calls, one that it does not goes to the
 * hook as before. Left out (the hook works alone) if the hook is not the current `require`.
 */
function requireThroughFilter(hook: RitmHook): void {
  const hooked = hook._require;
  const below = hook._origRequire;
  if (typeof hooked !== 'function' || typeof below !== 'function' || Module.prototype.require !== hooked) return;
  const filtered = function requireThroughHookFilter(this: unknown, id: string) {
    // eslint-disable-next-line prefer-rest-params
    const args = arguments as unknown as [string];
    if (typeof id === 'string' && hook._unhooked !== true && skipsHook(this, id)) return below.apply(this, args);
    return hooked.apply(this, args);
  } as typeof Module.prototype.require;
  Module.prototype.require = filtered;
  // Unhooked, the hook takes its `require` out of the chain only if it is on top: take the filter out first.
  const unhook = hook.unhook;
  hook.unhook = function unhookWithFilter(this: RitmHook) {
    if (Module.prototype.require === filtered) Module.prototype.require = hooked as typeof Module.prototype.require;
    unhook.call(this);
  };
}
