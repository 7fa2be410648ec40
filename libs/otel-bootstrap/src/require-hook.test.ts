import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hookedModuleNames, hookModulesOf, restrictRequireHook, skipsHook } from './require-hook';

const requireHere = createRequire(__filename);

type OnRequire = (exports: unknown, name: string) => unknown;
type HookConstructor = new (modules: string[] | null, options: object, onRequire: OnRequire) => { unhook(): void };
const ritm = requireHere('require-in-the-middle') as HookConstructor & { Hook: HookConstructor };

/** What require-in-the-middle's `onrequire` is called with while `load` runs, through the given hook constructor. */
function namesSeen(Hook: HookConstructor, modules: string[] | null, load: () => void): string[] {
  const seen: string[] = [];
  const hook = new Hook(modules, { internals: true }, (exports, name) => {
    seen.push(name);
    return exports;
  });
  try {
    load();
  } finally {
    hook.unhook();
  }
  return seen;
}

/** Loads pg afresh (its own files only): each hook sees its files as if for the first time. */
function loadPgAfresh(): void {
  const pgDirectory = dirname(dirname(requireHere.resolve('pg')));
  for (const file of Object.keys(requireHere.cache)) if (file.startsWith(pgDirectory + '/')) delete requireHere.cache[file];
  requireHere('pg');
}

describe('the require hook of the instrumentation base, restricted to the instrumented modules', () => {
  it('a hook made with no module list only sees the modules the created instrumentations patch', () => {
    restrictRequireHook();
    hookModulesOf({ getModuleDefinitions: () => [{ name: 'fastify' }, { name: '/an/absolute/file.js' }, { name: 'fastify' }] } as never);
    expect(hookedModuleNames()).toEqual(['fastify']);

    const seen = namesSeen(ritm.Hook, null, () => {
      requireHere('fastify');
      requireHere('koa');
    });
    expect(seen).toContain('fastify');
    expect(seen.filter((name) => name.startsWith('koa'))).toEqual([]);
    // Later instrumentations add theirs to the same list: the existing hook sees them from then on.
    hookModulesOf({ getModuleDefinitions: () => [{ name: 'koa' }] } as never);
    expect(hookedModuleNames()).toEqual(['fastify', 'koa']);
  });

  it('the filter in front of it lets through unresolved only what the hook would return unchanged', () => {
    restrictRequireHook();
    hookModulesOf({ getModuleDefinitions: () => [{ name: 'pg', files: [{ name: 'pg/lib/client.js' }] }, { name: 'http' }] } as never);
    const pgMain = requireHere.resolve('pg'); // node_modules/pg/lib/index.js
    const pgDirectory = dirname(dirname(pgMain));
    const inPg = { filename: pgMain };
    const inExpress = { filename: requireHere.resolve('express') };
    const inApp = { filename: join(dirname(dirname(pgDirectory)), 'app', 'server.js') };

    // Passed to the hook: hooked built-ins and packages, the hooked package's main and named files,
    // and whatever a relative path could reach of them from elsewhere.
    expect(skipsHook(inApp, 'http')).toBe(false);
    expect(skipsHook(inApp, 'node:http')).toBe(false);
    expect(skipsHook(inApp, 'pg')).toBe(false);
    expect(skipsHook(inApp, 'pg/lib/query')).toBe(false);
    expect(skipsHook(inPg, './client')).toBe(false);
    expect(skipsHook(inPg, './client.js')).toBe(false);
    expect(skipsHook(inPg, '../lib/client')).toBe(false);
    expect(skipsHook(inPg, './')).toBe(false);
    expect(skipsHook(inPg, '..')).toBe(false);
    expect(skipsHook(inExpress, '../pg/lib/client.js')).toBe(false);
    expect(skipsHook(inApp, join(pgDirectory, 'lib', 'index.js'))).toBe(false);
    expect(skipsHook(inApp, '#internal')).toBe(false);
    expect(skipsHook({}, './x')).toBe(false);

    // Let through: other built-ins and packages, other files of the hooked package, the app's files.
    expect(skipsHook(inApp, 'fs')).toBe(true);
    expect(skipsHook(inApp, 'express')).toBe(true);
    expect(skipsHook(inApp, '@grpc/grpc-js')).toBe(true);
    expect(skipsHook(inPg, './query')).toBe(true);
    expect(skipsHook(inPg, './native/index.js')).toBe(true);
    expect(skipsHook(inExpress, './lib/express')).toBe(true);
    expect(skipsHook(inApp, './routes')).toBe(true);
    expect(skipsHook(inApp, '../lib/db.js')).toBe(true);
  });

  it('inside a hooked package, a require whose last name no watched file has is let through; a directory on their path is not', () => {
    restrictRequireHook();
    hookModulesOf({ getModuleDefinitions: () => [{ name: '@redis/client', files: [{ name: '@redis/client/dist/lib/client/index.js' }] }] } as never);
    const inRedisLib = { filename: join(dirname(requireHere.resolve('@redis/client')), 'lib', 'index.js') };

    expect(skipsHook(inRedisLib, './client')).toBe(false);
    expect(skipsHook(inRedisLib, './client/')).toBe(false);
    expect(skipsHook(inRedisLib, './client/index')).toBe(false);
    expect(skipsHook(inRedisLib, '../index.js')).toBe(false); // the package's main file
    expect(skipsHook(inRedisLib, './commands/APPEND')).toBe(true);
    expect(skipsHook(inRedisLib, './client/cache')).toBe(true);
    expect(skipsHook(inRedisLib, '../../package.json')).toBe(true);
  });

  it('with the filter, the hook still calls the instrumentations for every module it called them for without it', () => {
    restrictRequireHook();
    hookModulesOf({ getModuleDefinitions: () => [{ name: 'pg', files: [{ name: 'pg/lib/client.js' }] }] } as never);
    const hooked = (name: string) => name === 'pg' || name === 'pg/lib/client.js';

    // The hook's own constructor (the module's default export): no filter, the same module list.
    const unfiltered = namesSeen(ritm, [...hookedModuleNames()], loadPgAfresh);
    const filtered = namesSeen(ritm.Hook, null, loadPgAfresh);

    expect(unfiltered.filter((name) => name.startsWith('pg/')).length).toBeGreaterThan(5);
    expect(filtered.filter(hooked).sort()).toEqual(unfiltered.filter(hooked).sort());
    expect(filtered.filter(hooked).sort()).toEqual(['pg', 'pg/lib/client.js']);
    // And no longer for the package's other files.
    expect(filtered.filter((name) => name.startsWith('pg/') && !hooked(name))).toEqual([]);
  });
});
